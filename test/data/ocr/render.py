#!/usr/bin/python3
"""Renders the OCR test set: text images drawn with Debian's fonts, and their ground truth.

Run from the checkout root with Debian's Python and Pillow (`apt-get install -y python3-pil fonts-dejavu-core
fonts-liberation fonts-noto-cjk fonts-wqy-microhei`):

    /usr/bin/python3 test/data/ocr/render.py

Writes test/data/ocr/images/*.{png,jpg} and test/data/ocr/ground-truth.json (`[{file, split, group, lines}]`,
lines in reading order: top to bottom, then left to right; split `dev` for choosing settings, `test` for the
reported figures). Deterministic for given font and Pillow versions (see README.md).
"""
import json
import os

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "images")

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
LIBERATION = "/usr/share/fonts/truetype/liberation/"
NOTO = "/usr/share/fonts/opentype/noto/"
FONTS = {
    "dejavu-sans": DEJAVU + "DejaVuSans.ttf",
    "dejavu-sans-bold": DEJAVU + "DejaVuSans-Bold.ttf",
    "dejavu-serif": DEJAVU + "DejaVuSerif.ttf",
    "dejavu-mono": DEJAVU + "DejaVuSansMono.ttf",
    "dejavu-condensed": DEJAVU + "DejaVuSansCondensed.ttf",
    "liberation-sans": LIBERATION + "LiberationSans-Regular.ttf",
    "liberation-sans-bold": LIBERATION + "LiberationSans-Bold.ttf",
    "liberation-serif": LIBERATION + "LiberationSerif-Regular.ttf",
    "liberation-serif-italic": LIBERATION + "LiberationSerif-Italic.ttf",
    "liberation-mono": LIBERATION + "LiberationMono-Regular.ttf",
    "liberation-narrow": LIBERATION + "LiberationSansNarrow-Regular.ttf",
    # index 2 of the collections is the Simplified Chinese face (SC)
    "noto-sans-sc": (NOTO + "NotoSansCJK-Regular.ttc", 2),
    "noto-sans-sc-bold": (NOTO + "NotoSansCJK-Bold.ttc", 2),
    "noto-serif-sc": (NOTO + "NotoSerifCJK-Regular.ttc", 2),
    "wqy-microhei": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
}

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)


def font(name, size):
    spec = FONTS[name]
    if isinstance(spec, tuple):
        return ImageFont.truetype(spec[0], size, index=spec[1])
    return ImageFont.truetype(spec, size)


def render(lines, font_name, size, margin=24, spacing=1.6, ink=BLACK, paper=WHITE, width=None):
    """Lines of text, left-aligned, one below the other."""
    face = font(font_name, size)
    ascent, descent = face.getmetrics()
    step = int(round(size * spacing))
    text_width = max(int(face.getlength(line)) for line in lines)
    image_width = width or text_width + 2 * margin
    height = 2 * margin + step * (len(lines) - 1) + ascent + descent
    image = Image.new("RGB", (image_width, height), paper)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, font=face, fill=ink)
    return image


CASES = []


def case(name, group, lines, font_name, size, fmt="png", rotate=0, quality=85, split="test", **style):
    CASES.append(dict(name=name, group=group, lines=lines, font=font_name, size=size, fmt=fmt, rotate=rotate, quality=quality, split=split, style=style))


def dev(name, group, lines, font_name, size, **options):
    case(name, group, lines, font_name, size, split="dev", **options)


# English single lines: digits, punctuation, mixed case, 11 fonts, 18-40 px
case("en-line-01", "en-line", ["Invoice No. 2024-0117"], "dejavu-sans", 28)
case("en-line-02", "en-line", ["Total: $1,234.56 (incl. VAT 20%)"], "liberation-sans", 26)
case("en-line-03", "en-line", ["The quick brown fox jumps over the lazy dog."], "dejavu-serif", 24)
case("en-line-04", "en-line", ["Meeting at 10:30 AM, Room B-204"], "liberation-serif", 30)
case("en-line-05", "en-line", ["Call +44 20 7946 0958 before 5 pm"], "dejavu-mono", 22)
case("en-line-06", "en-line", ["Order #A7731 shipped on 2023-11-05"], "liberation-mono", 22)
case("en-line-07", "en-line", ["Hello, World!"], "dejavu-sans-bold", 40)
case("en-line-08", "en-line", ["support@example.com"], "liberation-sans", 32)
case("en-line-09", "en-line", ["Version 4.2.1 released"], "dejavu-condensed", 26)
case("en-line-10", "en-line", ["Keep calm and carry on"], "liberation-serif-italic", 34)
case("en-line-11", "en-line", ["Edge functions run close to users."], "liberation-narrow", 28)
case("en-line-12", "en-line", ["Q3 revenue grew 17% year over year"], "liberation-sans-bold", 24)
case("en-line-13", "en-line", ["Open 9am-6pm, Mon-Fri"], "dejavu-sans", 20, ink=(40, 40, 160))
case("en-line-14", "en-line", ["ISBN 978-3-16-148410-0"], "dejavu-serif", 26, paper=(250, 244, 220))
case("en-line-15", "en-line", ["Pack my box with five dozen liquor jugs"], "liberation-sans", 18)
case("en-line-16", "en-line", ["Gate B12 closes at 07:45"], "dejavu-sans", 36, ink=(255, 255, 255), paper=(30, 60, 110))

# English documents: several lines of one block
case("en-doc-01", "en-doc", ["ACME Hardware Store", "2 x Hammer 19.98", "1 x Screwdriver 4.50", "Subtotal 24.48", "Thank you!"], "dejavu-mono", 22)
case("en-doc-02", "en-doc", ["Dear Ms. Smith,", "Your package will arrive on Monday.", "Tracking code: 1Z999AA10123456784", "Best regards, Support Team"], "liberation-serif", 24)
case("en-doc-03", "en-doc", ["Step 1: Unplug the device.", "Step 2: Wait 30 seconds.", "Step 3: Plug it back in."], "dejavu-sans", 22)
case("en-doc-04", "en-doc", ["Name: John Appleseed", "Date of birth: 1984-02-29", "City: Springfield"], "liberation-sans", 26)
case("en-doc-05", "en-doc", ["Chapter 7", "It was a bright cold day in April,", "and the clocks were striking thirteen."], "dejavu-serif", 24)
case("en-doc-06", "en-doc", ["WARNING", "High voltage inside.", "Authorized personnel only."], "liberation-sans-bold", 30)
case("en-doc-07", "en-doc", ["Flight LH 2471", "Munich to London", "Boarding 14:05", "Seat 23C"], "dejavu-condensed", 26)
# wider than the detector's input cap: the detector sees it scaled down, the recognizer sees the original pixels
case("en-doc-08", "en-doc", ["Quarterly report of the infrastructure team, third quarter", "Requests served: 1,284,500 (up 12% on the second quarter)", "Median latency: 38 ms; 99th percentile: 210 ms"], "liberation-sans", 26)
# tight line spacing (1.2-1.25 of the font size), as in dense print
case("en-doc-09", "en-doc", ["The committee met on Tuesday and agreed", "to postpone the vote until all members", "had read the final draft of the report."], "liberation-serif", 22, spacing=1.2)
case("en-doc-10", "en-doc", ["Batteries: 2 x AA (not included)", "Warranty: 24 months from purchase", "Made in EU, model RX-200"], "dejavu-sans", 20, spacing=1.25)

# Chinese single lines (some mixed with digits and Latin letters)
case("zh-line-01", "zh-line", ["今天天气很好"], "noto-sans-sc", 32)
case("zh-line-02", "zh-line", ["欢迎使用文字识别服务"], "noto-serif-sc", 30)
case("zh-line-03", "zh-line", ["北京市海淀区中关村大街27号"], "wqy-microhei", 28)
case("zh-line-04", "zh-line", ["价格：128元"], "noto-sans-sc-bold", 34)
case("zh-line-05", "zh-line", ["会议将于下午三点开始"], "noto-sans-sc", 26)
case("zh-line-06", "zh-line", ["人工智能改变世界"], "noto-serif-sc", 36)
case("zh-line-07", "zh-line", ["请勿吸烟"], "wqy-microhei", 40, ink=(180, 20, 20))
case("zh-line-08", "zh-line", ["电话：010-62345678"], "noto-sans-sc", 28)
case("zh-line-09", "zh-line", ["春眠不觉晓，处处闻啼鸟。"], "noto-serif-sc", 30)
case("zh-line-10", "zh-line", ["深度学习模型部署在边缘节点"], "wqy-microhei", 26)

# Chinese documents
case("zh-doc-01", "zh-doc", ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"], "noto-serif-sc", 30)
case("zh-doc-02", "zh-doc", ["通知", "本周五下午两点召开全体会议", "请各部门准时参加"], "noto-sans-sc", 26)
case("zh-doc-03", "zh-doc", ["产品名称：智能手表", "型号：W200", "生产日期：2023年8月"], "wqy-microhei", 26)
case("zh-doc-04", "zh-doc", ["营业时间", "周一至周五 9:00-18:00", "周六 10:00-16:00"], "noto-sans-sc", 28)

# Upside down (the whole image turned 180 degrees): the direction classifier must flip each line
case("rot180-01", "rotated-180", ["Invoice No. 2024-0117"], "dejavu-sans", 28, rotate=180)
case("rot180-02", "rotated-180", ["Meeting at 10:30 AM, Room B-204"], "liberation-serif", 30, rotate=180)
case("rot180-03", "rotated-180", ["Keep calm and carry on"], "liberation-sans-bold", 32, rotate=180)
case("rot180-04", "rotated-180", ["欢迎使用文字识别服务"], "noto-sans-sc", 30, rotate=180)
case("rot180-05", "rotated-180", ["Step 1: Unplug the device.", "Step 2: Wait 30 seconds.", "Step 3: Plug it back in."], "dejavu-sans", 24, rotate=180)
case("rot180-06", "rotated-180", ["通知", "本周五下午两点召开全体会议", "请各部门准时参加"], "noto-sans-sc", 26, rotate=180)

# JPEG (quality 70-90), some on tinted paper
case("jpeg-01", "jpeg", ["Receipt 00042 - Paid in full"], "dejavu-sans", 26, fmt="jpg", quality=85)
case("jpeg-02", "jpeg", ["Best before: 12/2025"], "liberation-sans", 30, fmt="jpg", quality=75, paper=(235, 240, 250))
case("jpeg-03", "jpeg", ["Platform 9, departs 18:20"], "dejavu-serif", 28, fmt="jpg", quality=90)
case("jpeg-04", "jpeg", ["欢迎光临"], "noto-sans-sc", 36, fmt="jpg", quality=80)
case("jpeg-05", "jpeg", ["Room 101", "Floor 3, East Wing", "Ask at reception"], "liberation-sans", 26, fmt="jpg", quality=80)
case("jpeg-06", "jpeg", ["地址：上海市浦东新区", "邮编：200120"], "wqy-microhei", 28, fmt="jpg", quality=70, paper=(250, 250, 235))

# The dev split: other texts, same kinds of images. Settings are chosen on it (e.g. the unclip ratio), never on
# the test split, whose figures are the ones reported.
dev("dev-en-line-01", "en-line", ["Parking permit valid until 31.12.2024"], "dejavu-sans", 24)
dev("dev-en-line-02", "en-line", ["Please keep this door closed"], "liberation-serif", 30)
dev("dev-en-line-03", "en-line", ["Serial: XK-4409-B7, batch 12"], "dejavu-mono", 22)
dev("dev-en-line-04", "en-line", ["Discount code SPRING25 saves you 25%"], "liberation-sans", 26)
dev("dev-en-line-05", "en-line", ["Lunch is served from noon"], "dejavu-serif", 32)
dev("dev-en-line-06", "en-line", ["Wi-Fi password: blue-sky-42"], "liberation-sans-bold", 28)
dev("dev-en-line-07", "en-line", ["All sales are final"], "liberation-serif-italic", 30, ink=(90, 30, 30))
dev("dev-en-line-08", "en-line", ["Next stop: Central Station"], "dejavu-condensed", 24, paper=(235, 245, 235))
dev("dev-en-doc-01", "en-doc", ["Shopping list", "3 apples", "1 loaf of bread", "2 litres of milk"], "liberation-sans", 24)
dev("dev-en-doc-02", "en-doc", ["Minutes of the meeting", "Present: Ann, Bob and Carl", "Next meeting: 4 May, 15:00"], "dejavu-serif", 22)
dev("dev-en-doc-03", "en-doc", ["Error 404", "The page you asked for does not exist.", "Go back to the home page."], "dejavu-sans", 24)
dev("dev-en-doc-04", "en-doc", ["Library card", "Member: Jane Roe", "Expires: 2026-06-30"], "liberation-mono", 22)
dev("dev-en-doc-05", "en-doc", ["Lines set close together, as in", "a paperback novel or a newspaper", "column, leave little room between", "the descenders and the capitals."], "liberation-serif", 22, spacing=1.2)
dev("dev-en-doc-06", "en-doc", ["Ingredients: water, sugar, salt,", "citric acid (E330), natural flavour.", "Store in a cool, dry place."], "dejavu-sans", 20, spacing=1.25)
dev("dev-zh-line-01", "zh-line", ["欢迎来到图书馆"], "noto-sans-sc", 30)
dev("dev-zh-line-02", "zh-line", ["今日特价：每斤八元"], "wqy-microhei", 28)
dev("dev-zh-line-03", "zh-line", ["请排队等候"], "noto-serif-sc", 34)
dev("dev-zh-line-04", "zh-line", ["出口在左侧"], "noto-sans-sc-bold", 30)
dev("dev-zh-doc-01", "zh-doc", ["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼"], "noto-serif-sc", 28)
dev("dev-zh-doc-02", "zh-doc", ["温馨提示", "请保管好您的随身物品"], "wqy-microhei", 26)
dev("dev-rot180-01", "rotated-180", ["Please keep this door closed"], "dejavu-sans", 28, rotate=180)
dev("dev-rot180-02", "rotated-180", ["Shopping list", "3 apples", "1 loaf of bread"], "liberation-sans", 26, rotate=180)
dev("dev-rot180-03", "rotated-180", ["欢迎来到图书馆"], "noto-sans-sc", 30, rotate=180)
dev("dev-jpeg-01", "jpeg", ["Ticket 7781 - Row F, Seat 12"], "dejavu-sans", 26, fmt="jpg", quality=80)
dev("dev-jpeg-02", "jpeg", ["Fragile - handle with care"], "liberation-sans-bold", 28, fmt="jpg", quality=75)
dev("dev-jpeg-03", "jpeg", ["营业中"], "noto-sans-sc", 36, fmt="jpg", quality=85)

# The page split: whole pages larger than the detector's input cap (576), for the memory/time measurement and to
# show what the cap costs on small print. Not part of the test figures.
PROSE = [
    "Edge functions start in milliseconds and run close to the people who",
    "call them, which makes them a good home for small models: a language",
    "detector, a sentiment classifier, a voice activity detector or a text",
    "recognizer. Each request brings its own input, the Worker decodes it,",
    "runs the network with WebAssembly and answers with a few hundred bytes",
    "of JSON. Memory is the tight resource: an isolate has 128 MB, and the",
    "WebAssembly heap that holds the weights and every intermediate tensor",
    "never shrinks once it has grown. A detector that looks at a page of",
    "960 by 960 pixels needs more than the whole budget, so the page is",
    "scaled down first, at some cost for small print. Recognition works on",
    "one line at a time, 48 pixels high, and only as wide as the line is,",
    "so its memory follows the longest line of the batch. Timings in this",
    "report come from 52 test images, 3 rounds each, on two shared cores.",
]
case("page-01", "page", PROSE + PROSE[::-1], "dejavu-sans", 22, split="page", margin=40, spacing=1.5)
case("page-02", "page", PROSE[:8], "liberation-serif", 30, split="page", margin=50, spacing=1.6, fmt="jpg", quality=70)
# wide: capping the longer side at 576 would shrink its 20-pixel text to 7 pixels, too small for the detector
WIDE = [" ".join((PROSE + PROSE[::-1])[i:i + 2]) for i in range(0, 2 * len(PROSE), 2)]
case("page-03", "page", WIDE, "dejavu-sans", 20, split="page", margin=40, spacing=1.5)


def main():
    os.makedirs(OUT, exist_ok=True)
    truth = []
    for c in CASES:
        image = render(c["lines"], c["font"], c["size"], **c["style"])
        if c["rotate"]:
            image = image.rotate(c["rotate"])
        file = f"{c['name']}.{c['fmt']}"
        path = os.path.join(OUT, file)
        if c["fmt"] == "jpg":
            image.save(path, "JPEG", quality=c["quality"])
        else:
            # black on white needs no colour: grey PNGs are a third the size
            grey = c["style"].get("ink", BLACK) == BLACK and c["style"].get("paper", WHITE) == WHITE
            (image.convert("L") if grey else image).save(path, "PNG", optimize=True)
        truth.append({"file": file, "split": c["split"], "group": c["group"], "font": c["font"], "size": c["size"], "width": image.width, "height": image.height, "lines": c["lines"]})
    with open(os.path.join(HERE, "ground-truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(truth)} images in {OUT}")


if __name__ == "__main__":
    main()
