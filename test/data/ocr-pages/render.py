#!/usr/bin/python3
"""Renders the harder OCR evaluation set: pages made the way people photograph or scan them.

Run from the checkout root with Debian's Python and Pillow (`apt-get install -y python3-pil fonts-dejavu-core`):

    /usr/bin/python3 test/data/ocr-pages/render.py

Each page: 1 or 2 columns (two-column pages often under a heading that spans both), 3-10 lines of English prose,
lists, numbers and short words, in one of the six DejaVu faces at 14-26 px; tinted paper, uneven light, grain and
sometimes a little blur; skewed by -10..10 degrees (a third of the pages nearly straight); a fifth turned upside
down and some turned a quarter (90 or 270 degrees clockwise); saved as JPEG at quality 60-90.

Writes images/{test,dev}-NNN.jpg and test.jsonl, dev.jsonl: one object per page,
`{image, lines, text, angle, skew, columns, font, size, quality}` with `lines` in reading order (the heading, then
the first column top to bottom, then the second) and `text` the lines joined by newlines. `angle` is how far the
page is turned clockwise (0, 90, 180, 270) and `skew` the tilt on top of it, in degrees clockwise. Settings are
chosen on `dev`, never on `test`, whose figures are the ones reported. Deterministic for given font and Pillow
versions (README.md).
"""
import io
import json
import math
import os
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "images")

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
FACES = {
    "dejavu-sans": "DejaVuSans.ttf",
    "dejavu-sans-bold": "DejaVuSans-Bold.ttf",
    "dejavu-serif": "DejaVuSerif.ttf",
    "dejavu-serif-bold": "DejaVuSerif-Bold.ttf",
    "dejavu-mono": "DejaVuSansMono.ttf",
    "dejavu-mono-bold": "DejaVuSansMono-Bold.ttf",
}
BOLD = {"dejavu-sans": "dejavu-sans-bold", "dejavu-serif": "dejavu-serif-bold", "dejavu-mono": "dejavu-mono-bold"}

SPLITS = {"test": (200, 20260101), "dev": (40, 20260202)}

# Words written for this set: common English, with the short words and contractions whose spaces and orientation
# are hardest ("I am", "it was", "out", "don't").
WORDS = """
the of and to in is was it for on as with he she be at by this had not are but from or have an they which one you
were her all we there been if has when who will more no out so said what up its about into than them can only other
new some could time these two may then do first any my now such like our over man me even most made after also did
many before must through back years where much your way well down should because each just those people how too
little state good very make world still own see men work long get here between both life being under never day same
another know while last might us great old year off come since against go came right used take three small house
again place around however home large every found still between under last never need city next open close door
river light night water letter word paper table window garden street train station morning evening week month
report market price order ticket number island bridge summer winter spring autumn coffee bread milk apple dinner
lunch friend family school office doctor music letter story answer question plan reason result idea problem
service system program group company country power money point fact hand eye head face side part case area kind
""".split()
SHORT = ["out", "in", "up", "on", "off", "yes", "no", "OK", "it", "go", "so", "at", "I am", "it was", "I do",
         "Note", "Fig. 2", "A-12", "Tea", "Open", "Exit", "Stop", "Info", "Sale", "Top", "End", "Mon", "Fri"]
NAMES = ["Anna", "Bruno", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Irene", "Jonas", "Karin", "Leo",
         "Maria", "Nils", "Olga", "Peter", "Rosa", "Simon", "Tara", "Victor"]
CONTRACTIONS = ["don't", "I'm", "it's", "we'll", "can't", "isn't", "I'd", "you're", "they've", "won't"]
HEADINGS = ["Notice", "Weekly report", "Minutes", "Delivery note", "Timetable", "House rules", "Menu of the day",
            "Order summary", "Opening hours", "Club news", "Field notes", "Price list", "Welcome", "Agenda"]
PAPERS = [(250, 250, 246), (245, 241, 230), (238, 238, 238), (250, 246, 236), (232, 236, 240), (252, 252, 252),
          (240, 234, 218)]
INKS = [(20, 20, 20), (35, 35, 45), (10, 25, 80), (50, 40, 30), (0, 0, 0)]


def font(face, size):
    return ImageFont.truetype(DEJAVU + FACES[face], size)


def token(rng):
    """A word, or now and then a number, a name or a contraction."""
    r = rng.random()
    if r < 0.07:
        return rng.choice([
            f"{rng.randint(2, 99)}",
            f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
            f"{rng.randint(1, 28)}/{rng.randint(1, 12)}",
            f"{rng.randint(7, 21)}:{rng.choice(['00', '15', '30', '45'])}",
            f"{rng.randint(1, 99)}%",
            f"${rng.randint(1, 500)}",
            f"{rng.randint(1990, 2030)}",
        ])
    if r < 0.12:
        return rng.choice(NAMES)
    if r < 0.18:
        return rng.choice(CONTRACTIONS)
    if r < 0.21:
        return "I"
    return rng.choice(WORDS)


def sentence(rng):
    words = [token(rng) for _ in range(rng.randint(3, 11))]
    words[0] = words[0][0].upper() + words[0][1:]
    if len(words) > 5 and rng.random() < 0.4:
        at = rng.randint(2, len(words) - 3)
        words[at] += ","
    return " ".join(words) + rng.choice([".", ".", ".", "!", "?", ":"])


def wrap(rng, face, width, count):
    """`count` lines of prose no wider than `width` pixels, now and then a short line on its own."""
    lines = []
    words = []
    while len(lines) < count:
        if rng.random() < 0.12:
            if words:
                lines.append(" ".join(words))
                words = []
            lines.append(rng.choice(SHORT))
            continue
        for word in sentence(rng).split(" "):
            if words and face.getlength(" ".join(words + [word])) > width:
                lines.append(" ".join(words))
                words = []
            words.append(word)
        if rng.random() < 0.3 and words:  # a paragraph ends: a shorter last line
            lines.append(" ".join(words))
            words = []
    return lines[:count]


def layout(rng):
    """The upright page: image, lines in reading order, columns, face and size."""
    face_name = rng.choice(["dejavu-sans", "dejavu-sans", "dejavu-serif", "dejavu-serif", "dejavu-mono",
                            "dejavu-sans-bold"])
    size = rng.randint(14, 26)
    face = font(face_name, size)
    columns = 2 if rng.random() < 0.35 else 1
    total = rng.randint(3, 10)
    heading = columns == 2 and rng.random() < 0.6 or columns == 1 and rng.random() < 0.2
    heading_face = font(BOLD.get(face_name, face_name), int(size * rng.uniform(1.15, 1.5)))
    if columns == 2:
        total = max(total, 4 + heading)
    body_count = total - heading
    step = int(size * rng.uniform(1.35, 1.9))
    margin = rng.randint(16, 40)
    if columns == 1:
        column_width = int(size * rng.uniform(11, 22))
        counts = [body_count]
    else:
        column_width = int(size * rng.uniform(8.5, 12))
        counts = [(body_count + 1) // 2, body_count // 2]
    gutter = int(size * rng.uniform(1.6, 3.2))
    text_width = columns * column_width + (columns - 1) * gutter
    column_lines = [wrap(rng, face, column_width, n) for n in counts]
    heading_text = rng.choice(HEADINGS) if heading else None
    if heading_text and rng.random() < 0.5:
        heading_text += f" {rng.randint(2, 48)}"

    ascent, descent = face.getmetrics()
    top = margin
    height = margin * 2 + step * max(counts) + descent
    heading_step = int(heading_face.size * 1.8) if heading else 0
    height += heading_step
    width = text_width + 2 * margin
    paper = rng.choice(PAPERS)
    ink = rng.choice(INKS)
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    lines = []
    if heading:
        x = margin if columns == 1 or rng.random() < 0.5 else margin + (text_width - heading_face.getlength(heading_text)) / 2
        draw.text((x, top), heading_text, font=heading_face, fill=ink)
        lines.append(heading_text)
        top += heading_step
    for c, column in enumerate(column_lines):
        left = margin + c * (column_width + gutter)
        for i, line in enumerate(column):
            draw.text((left, top + i * step), line, font=face, fill=ink)
        lines.extend(column)
    return image, lines, columns, face_name, size, paper


def grain(rng, size, sigma):
    """Gaussian grain drawn at half resolution and scaled up (sensor noise after demosaicing), centred on 128."""
    w, h = (size[0] + 1) // 2, (size[1] + 1) // 2
    values = bytes(max(0, min(255, int(round(128 + rng.gauss(0, sigma))))) for _ in range(w * h))
    return Image.frombytes("L", (w, h), values).resize(size, Image.BILINEAR)


def light(rng, size):
    """Uneven light: each corner darkened by up to 18%, smoothly in between (bilinear)."""
    corners = Image.frombytes("L", (2, 2), bytes(int(round(255 * (1 - rng.uniform(0, 0.18)))) for _ in range(4)))
    return corners.resize(size, Image.BILINEAR)


def photograph(rng, image, paper, skew, angle):
    # PIL turns counter-clockwise; skew and angle are clockwise
    image = image.rotate(-skew, resample=Image.BICUBIC, expand=True, fillcolor=paper)
    if angle:
        image = image.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                                 270: Image.Transpose.ROTATE_90}[angle])
    shade = light(rng, image.size)
    image = ImageChops.multiply(image, Image.merge("RGB", [shade] * 3))
    noise = grain(rng, image.size, rng.uniform(2, 5))
    image = ImageChops.add(image, Image.merge("RGB", [noise] * 3), scale=1, offset=-128)
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return image


def angles(count, rng):
    """A fifth upside down, a tenth a quarter turn each way, the rest upright; shuffled."""
    turned = count // 5
    quarter = count // 10
    chosen = [180] * turned + [90] * quarter + [270] * quarter
    chosen += [0] * (count - len(chosen))
    rng.shuffle(chosen)
    return chosen


def main():
    os.makedirs(OUT, exist_ok=True)
    for split, (count, seed) in SPLITS.items():
        rng = random.Random(seed)
        rows = []
        for i, angle in enumerate(angles(count, rng), start=1):
            image, lines, columns, face, size, paper = layout(rng)
            skew = round(rng.uniform(-0.5, 0.5) if rng.random() < 0.35 else rng.uniform(-10, 10), 1)
            image = photograph(rng, image, paper, skew, angle)
            quality = rng.randint(60, 90)
            grey = rng.random() < 0.75
            name = f"{split}-{i:03d}.jpg"
            buffer = io.BytesIO()
            (image.convert("L") if grey else image).save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(buffer.getvalue())
            rows.append({"image": f"images/{name}", "lines": lines, "text": "\n".join(lines), "angle": angle,
                         "skew": skew, "columns": columns, "font": face, "size": size, "quality": quality,
                         "width": image.width, "height": image.height})
        with open(os.path.join(HERE, f"{split}.jsonl"), "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{split}: {len(rows)} pages")


if __name__ == "__main__":
    main()
