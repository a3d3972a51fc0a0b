"""Writes the yearbook-style example files (run from this folder: python3 make.py).

gdp_gbk.csv: a GBK-encoded table as Chinese statistical yearbooks publish them, with two
title lines before the header, comment lines (#), Chinese city names and column names.
Read with read_csv(path, #{encoding: "gbk", skip: 2, comment: "#"}).

gdp_semicolon.csv: a European-style file, `;`-separated with decimal commas.
Read with read_csv(path, #{delimiter: ";", decimal: ","}).
"""

ROWS = [
    ("北京", 2019, "35371.3", "2153.6"),
    ("上海", 2019, "38155.3", "2428.1"),
    ("广州", 2019, "23628.6", "1530.6"),
    ("深圳", 2019, "26927.1", "1343.9"),
    ("重庆", 2019, "23605.8", "3124.3"),
]

lines = ["2019年主要城市地区生产总值", "单位：亿元，万人", "城市,年份,地区生产总值,常住人口"]
for k, (city, year, gdp, pop) in enumerate(ROWS):
    if k == 4:
        lines.append("  # 以下为初步核算数")
    lines.append(f"{city},{year},{gdp},{pop}")
with open("gdp_gbk.csv", "wb") as f:
    f.write(("\r\n".join(lines) + "\r\n").encode("gbk"))

semi = [
    "region;year;gdp;growth",
    "Île-de-France;2019;739,6;1,5",
    "Auvergne-Rhône-Alpes;2019;282,3;-0,25",
    "Hauts-de-France;2019;165,8;0,75",
]
with open("gdp_semicolon.csv", "w", encoding="utf-8") as f:
    f.write("\n".join(semi) + "\n")

# Weights as an N x N matrix (xsmle / MATLAB style): ids in the first row and column; the
# columns need not be in the order of the rows (matched by id).
cities = ["北京", "上海", "广州"]
w = {("北京", "上海"): "0.5", ("北京", "广州"): "0.5", ("上海", "北京"): "0.5",
     ("上海", "广州"): "0.5", ("广州", "北京"): "0.5", ("广州", "上海"): "0.5"}
cols = ["广州", "北京", "上海"]
with open("w_matrix.csv", "w", encoding="utf-8") as f:
    f.write("," + ",".join(cols) + "\n")
    for i in cities:
        f.write(i + "," + ",".join(w.get((i, j), "0") for j in cols) + "\n")
# The same matrix without ids (read with #{ids: [...]}).
with open("w_block.csv", "w", encoding="utf-8") as f:
    for i in cities:
        f.write(",".join(w.get((i, j), "0") for j in cities) + "\n")
