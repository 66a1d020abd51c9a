"""Draw the example project's sample illustrations and brand marks.

Run from anywhere: ``python assets/make_samples.py``. It writes flat, text-free PNGs to
``assets/samples/`` (900x900, shared by every language) and ``assets/brand/`` (512x512).

Every shape is drawn at ``SCALE`` times the final size and downsampled with LANCZOS, which
gives clean anti-aliased edges without any vector library. Nothing random and no timestamps:
the same Pillow version produces the same bytes on every run.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageColor, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = 900
SCALE = 3

# Brand colours from storycast.toml, plus two functional status colours (LED green/red).
PRIMARY = "#2454E6"
NAVY = "#0D1B45"
ACCENT = "#FFB547"
WHITE = "#FFFFFF"
MUTED = "#B9C6F2"
TINT = "#EAF0FF"  # card background: a very light wash of the primary
PALE = "#D6E0FB"  # placeholder text bars, shadows
SOFT = "#F5F8FF"
NAVY_2 = "#1B2C63"  # lighter navy for faces and ports
OK = "#22C58B"
BAD = "#F0506E"
STEEL = "#8E9BC4"

Point = tuple[float, float]
Box = tuple[float, float, float, float]


class Canvas:
    """A supersampled RGBA canvas addressed in final-pixel coordinates."""

    def __init__(self, size: int = SIZE, scale: int = SCALE) -> None:
        self.size = size
        self.s = scale
        self.img = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
        self.d = ImageDraw.Draw(self.img)

    def _b(self, box: Box) -> list[float]:
        return [v * self.s for v in box]

    def rrect(
        self, box: Box, r: float, fill: str | None = None, outline: str | None = None, width: float = 0
    ) -> None:
        """Rounded rectangle; ``r`` is clamped so pills work too."""
        r = min(r, (box[2] - box[0]) / 2, (box[3] - box[1]) / 2)
        self.d.rounded_rectangle(
            self._b(box), radius=r * self.s, fill=fill, outline=outline, width=int(width * self.s)
        )

    def circle(
        self, c: Point, r: float, fill: str | None = None, outline: str | None = None, width: float = 0
    ) -> None:
        self.d.ellipse(
            self._b((c[0] - r, c[1] - r, c[0] + r, c[1] + r)),
            fill=fill,
            outline=outline,
            width=int(width * self.s),
        )

    def poly(self, pts: Sequence[Point], fill: str) -> None:
        self.d.polygon([(x * self.s, y * self.s) for x, y in pts], fill=fill)

    def line(self, pts: Sequence[Point], width: float, fill: str) -> None:
        """Thick polyline with round caps and joints."""
        self.d.line(
            [(x * self.s, y * self.s) for x, y in pts], fill=fill, width=int(width * self.s), joint="curve"
        )
        for p in (pts[0], pts[-1]):
            self.circle(p, width / 2, fill=fill)

    def arc(
        self, c: Point, r: float, start: float, end: float, width: float, fill: str, caps: bool = True
    ) -> None:
        """Thick arc (degrees, Pillow convention: 0 = east, clockwise) with round caps."""
        box = (c[0] - r - width / 2, c[1] - r - width / 2, c[0] + r + width / 2, c[1] + r + width / 2)
        self.d.arc(self._b(box), start, end, fill=fill, width=int(width * self.s))
        if caps:
            for a in (start, end):
                t = math.radians(a)
                self.circle((c[0] + r * math.cos(t), c[1] + r * math.sin(t)), width / 2, fill=fill)

    def pie(self, c: Point, r: float, start: float, end: float, fill: str) -> None:
        self.d.pieslice(self._b((c[0] - r, c[1] - r, c[0] + r, c[1] + r)), start, end, fill=fill)

    def soft_circle(self, c: Point, r: float, color: str, alpha: int, width: float = 0) -> None:
        """A translucent disc (or ring when ``width`` is set), blended over what is already drawn."""
        layer = Image.new("RGBA", self.img.size, (0, 0, 0, 0))
        rgba = (*ImageColor.getrgb(color)[:3], alpha)
        box = self._b((c[0] - r, c[1] - r, c[0] + r, c[1] + r))
        if width:
            ImageDraw.Draw(layer).ellipse(box, outline=rgba, width=int(width * self.s))
        else:
            ImageDraw.Draw(layer).ellipse(box, fill=rgba)
        self.img.alpha_composite(layer)

    def save(self, path: Path, clip_radius: float | None = None) -> None:
        """Downsample and write a PNG; ``clip_radius`` trims everything to the rounded card."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if clip_radius is not None:
            # Shapes may run off the card (a cable leaving the frame); cut them at its edge.
            mask = Image.new("L", self.img.size, 0)
            full = self.size * self.s - 1
            ImageDraw.Draw(mask).rounded_rectangle((0, 0, full, full), radius=clip_radius * self.s, fill=255)
            self.img.putalpha(ImageChops.multiply(self.img.getchannel("A"), mask))
        out = self.img.resize((self.size, self.size), Image.Resampling.LANCZOS)
        out.save(path, format="PNG", optimize=True)


# --------------------------------------------------------------------------- shared pieces


def card(cv: Canvas) -> None:
    """The soft rounded background every sample sits on, with a few quiet decorative dots."""
    cv.rrect((0, 0, SIZE, SIZE), 80, fill=TINT)
    cv.circle((760, 150), 70, fill=SOFT)
    cv.circle((140, 780), 46, fill=SOFT)
    cv.circle((820, 720), 14, fill=MUTED)
    cv.circle((110, 170), 10, fill=MUTED)


def shadow(cv: Canvas, cx: float, y: float, w: float) -> None:
    """A flat ellipse under an object so it stands on something."""
    cv.d.ellipse(cv._b((cx - w / 2, y - 16, cx + w / 2, y + 16)), fill=PALE)


def check(cv: Canvas, c: Point, r: float, fill: str = WHITE, width: float | None = None) -> None:
    """A check mark inside a circle of radius ``r`` centred on ``c``."""
    w = width or r * 0.22
    x, y = c
    cv.line(
        [(x - r * 0.45, y + r * 0.02), (x - r * 0.12, y + r * 0.35), (x + r * 0.48, y - r * 0.32)], w, fill
    )


def badge_check(cv: Canvas, c: Point, r: float, fill: str = OK) -> None:
    cv.circle(c, r + 10, fill=WHITE)
    cv.circle(c, r, fill=fill)
    check(cv, c, r)


def glow(cv: Canvas, c: Point, r: float, color: str) -> None:
    """An LED: a soft halo ring and a bright dot."""
    cv.soft_circle(c, r * 2.4, color, 45)
    cv.soft_circle(c, r * 1.7, color, 70)
    cv.circle(c, r, fill=color)


def wifi(cv: Canvas, c: Point, r: float, color: str, width: float | None = None) -> None:
    """Wi-Fi symbol: a dot at ``c`` and three arcs above it, ``r`` being the outer radius."""
    w = width or r * 0.16
    cv.circle(c, w * 0.75, fill=color)
    for k in (0.42, 0.71, 1.0):
        cv.arc(c, r * k, 225, 315, w, color)


def bars(
    cv: Canvas, x: float, y: float, widths: Sequence[float], h: float = 16, gap: float = 14, color: str = PALE
) -> None:
    """Placeholder text lines (the illustrations carry no words)."""
    for i, w in enumerate(widths):
        cv.rrect((x, y + i * (h + gap), x + w, y + i * (h + gap) + h), h / 2, fill=color)


def tap(cv: Canvas, c: Point) -> None:
    """A tap ripple: where the finger goes, translucent so the control underneath stays visible."""
    cv.soft_circle(c, 50, ACCENT, 90)
    cv.circle(c, 50, outline=ACCENT, width=6)
    cv.soft_circle(c, 20, ACCENT, 230)


def shield(cv: Canvas, c: Point, w: float, fill: str) -> None:
    """A heater-style shield centred on ``c`` with width ``w``."""
    x, y = c
    h = w * 1.18
    top = y - h / 2
    # Top edge rises gently to the centre.
    pts: list[Point] = [
        (x - w / 2, top + h * 0.14),
        (x - w * 0.25, top + h * 0.07),
        (x, top),
        (x + w * 0.25, top + h * 0.07),
        (x + w / 2, top + h * 0.14),
    ]
    # Right and left sides curve down to the point (quadratic Bézier).
    side: list[Point] = []
    for i in range(1, 25):
        t = i / 24
        p0, p1, p2 = (x + w / 2, top + h * 0.14), (x + w / 2, top + h * 0.7), (x, top + h)
        side.append(
            (
                (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0],
                (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1],
            )
        )
    pts += side + [(2 * x - px, py) for px, py in reversed(side[:-1])]
    cv.poly(pts, fill)


def padlock(
    cv: Canvas, c: Point, w: float, body: str = ACCENT, shackle: str = NAVY, open_: bool = False
) -> None:
    """A padlock centred on its body, ``w`` wide."""
    x, y = c
    h = w * 0.8
    sr = w * 0.3
    sx = x + (w * 0.32 if open_ else 0)
    sy = y - h / 2 - (w * 0.14 if open_ else 0)
    cv.arc((sx, sy), sr, 180, 360, w * 0.13, shackle, caps=False)
    cv.rrect((sx - sr - w * 0.065, sy - 1, sx - sr + w * 0.065, y), 0, fill=shackle)
    if not open_:
        cv.rrect((sx + sr - w * 0.065, sy - 1, sx + sr + w * 0.065, y), 0, fill=shackle)
    cv.rrect((x - w / 2, y - h / 2, x + w / 2, y + h / 2), w * 0.16, fill=body)
    cv.circle((x, y - h * 0.06), w * 0.09, fill=NAVY)
    cv.rrect((x - w * 0.035, y - h * 0.06, x + w * 0.035, y + h * 0.22), w * 0.03, fill=NAVY)


# --------------------------------------------------------------------------- router


ROUTER: Box = (190, 430, 710, 600)


def router(
    cv: Canvas, leds: Sequence[str] = (OK, OK, OK, OK), box: Box = ROUTER, antennas: bool = True
) -> None:
    """Front view of a home router: body, antennas, feet and a row of status LEDs."""
    x0, y0, x1, y1 = box
    w = x1 - x0
    shadow(cv, (x0 + x1) / 2, y1 + 22, w * 1.05)
    if antennas:
        for ax in (x0 + w * 0.14, x1 - w * 0.14):
            cv.rrect((ax - 17, y0 - 190, ax + 17, y0 + 20), 17, fill=NAVY)
            cv.rrect((ax - 26, y0 - 24, ax + 26, y0 + 10), 10, fill=NAVY)
    for fx in (x0 + w * 0.12, x1 - w * 0.12):
        cv.rrect((fx - 34, y1 - 10, fx + 34, y1 + 18), 10, fill=NAVY)
    cv.rrect(box, 46, fill=PRIMARY)
    # A lighter top face gives depth without gradients.
    cv.rrect((x0, y0, x1, y0 + 58), 46, fill="#3A68F0")
    cv.rrect((x0, y0 + 40, x1, y0 + 70), 0, fill=PRIMARY)
    n = len(leds)
    gap = w * 0.6 / max(n - 1, 1)
    ly = y0 + (y1 - y0) * 0.6
    for i, col in enumerate(leds):
        glow(cv, (x0 + w * 0.2 + i * gap, ly), 15, col)


def router_back(cv: Canvas, box: Box = ROUTER) -> tuple[Point, Point]:
    """Back view: ports, a power socket and the reset pinhole. Returns (pinhole, power socket)."""
    x0, y0, x1, y1 = box
    w = x1 - x0
    shadow(cv, (x0 + x1) / 2, y1 + 22, w * 1.05)
    for ax in (x0 + w * 0.14, x1 - w * 0.14):
        cv.rrect((ax - 17, y0 - 190, ax + 17, y0 + 20), 17, fill=NAVY)
        cv.rrect((ax - 26, y0 - 24, ax + 26, y0 + 10), 10, fill=NAVY)
    for fx in (x0 + w * 0.12, x1 - w * 0.12):
        cv.rrect((fx - 34, y1 - 10, fx + 34, y1 + 18), 10, fill=NAVY)
    cv.rrect(box, 46, fill=NAVY_2)
    cv.rrect((x0, y0, x1, y0 + 58), 46, fill="#26397A")
    cv.rrect((x0, y0 + 40, x1, y0 + 70), 0, fill=NAVY_2)
    cy = y0 + (y1 - y0) * 0.6
    # Four network ports.
    for i in range(4):
        px = x0 + 50 + i * 70
        cv.rrect((px, cy - 24, px + 52, cy + 24), 8, fill=NAVY)
        cv.rrect((px + 12, cy + 8, px + 40, cy + 24), 3, fill="#26397A")
    socket = (x1 - 140, cy)
    cv.circle(socket, 28, fill=NAVY)
    cv.circle(socket, 10, fill="#26397A")
    pin = (x1 - 66, cy)
    cv.circle(pin, 20, fill="#26397A")
    cv.circle(pin, 9, fill=NAVY)
    return pin, socket


# --------------------------------------------------------------------------- phone


PHONE: Box = (255, 90, 645, 840)
SCREEN: Box = (277, 112, 623, 818)


def phone(cv: Canvas, header: str = PRIMARY) -> Box:
    """A phone with a coloured app header. Returns the content area below the header."""
    x0, _, x1, y1 = PHONE
    shadow(cv, (x0 + x1) / 2, y1 + 14, (x1 - x0) * 1.1)
    cv.rrect(PHONE, 62, fill=NAVY)
    cv.rrect(SCREEN, 44, fill=WHITE)
    sx0, sy0, sx1, _ = SCREEN
    cv.rrect((sx0, sy0, sx1, sy0 + 150), 44, fill=header)
    cv.rrect((sx0, sy0 + 100, sx1, sy0 + 150), 0, fill=header)
    cv.rrect((400, 122, 500, 140), 9, fill=NAVY)  # camera notch
    return (sx0 + 26, sy0 + 176, sx1 - 26, SCREEN[3] - 26)


def row(
    cv: Canvas, y: float, icon: Callable[[Point], None] | None, widths: Sequence[float], hi: bool = False
) -> None:
    """A settings-list row: icon bubble plus two placeholder lines."""
    x0, _, x1, _ = SCREEN
    if hi:
        cv.rrect((x0 + 14, y - 10, x1 - 14, y + 84), 22, fill=TINT)
    cv.circle((x0 + 62, y + 37), 30, fill=PRIMARY if hi else TINT)
    if icon:
        icon((x0 + 62, y + 37))
    bars(cv, x0 + 110, y + 16, widths, h=14, gap=12, color=MUTED if hi else PALE)


def toggle(cv: Canvas, c: Point, w: float, on: bool) -> None:
    x, y = c
    h = w * 0.56
    cv.rrect((x - w / 2, y - h / 2, x + w / 2, y + h / 2), h / 2, fill=PRIMARY if on else PALE)
    kx = x + w / 2 - h / 2 if on else x - w / 2 + h / 2
    cv.circle((kx, y), h / 2 - 6, fill=WHITE)


def header_avatar(cv: Canvas, ring: bool = False) -> Point:
    c = (SCREEN[2] - 56, SCREEN[1] + 70)
    if ring:
        cv.circle(c, 40, fill=ACCENT)
    cv.circle(c, 31, fill=WHITE)
    cv.circle((c[0], c[1] - 8), 10, fill=MUTED)
    cv.pie((c[0], c[1] + 20), 18, 180, 360, MUTED)
    bars(cv, SCREEN[0] + 30, SCREEN[1] + 56, (130, 84), h=14, gap=12, color="#5B80EE")
    return c


# --------------------------------------------------------------------------- the samples


def warn_badge(cv: Canvas, c: Point) -> None:
    """An amber circle with an exclamation mark drawn from shapes (no font)."""
    cv.circle(c, 62, fill=WHITE)
    cv.circle(c, 52, fill=ACCENT)
    cv.rrect((c[0] - 8, c[1] - 30, c[0] + 8, c[1] + 10), 8, fill=NAVY)
    cv.circle((c[0], c[1] + 28), 9, fill=NAVY)


def led_x(box: Box, i: int, n: int = 4) -> float:
    """x of the i-th LED on a router drawn in ``box`` (mirrors router())."""
    w = box[2] - box[0]
    return box[0] + w * 0.2 + i * w * 0.6 / (n - 1)


def router_lights(cv: Canvas) -> None:
    router(cv, leds=(OK, OK, BAD, OK))
    # Blink rays around the failing LED.
    x = led_x(ROUTER, 2)
    y = ROUTER[1] + (ROUTER[3] - ROUTER[1]) * 0.6
    for a in (200, 240, 270, 300, 340):
        t = math.radians(a)
        cv.line(
            [(x + 62 * math.cos(t), y + 62 * math.sin(t)), (x + 92 * math.cos(t), y + 92 * math.sin(t))],
            10,
            BAD,
        )
    warn_badge(cv, (450, 300))


def router_ok(cv: Canvas) -> None:
    router(cv)
    badge_check(cv, (450, 300), 56)


def bolt(cv: Canvas, c: Point, k: float, fill: str) -> None:
    """A lightning bolt ``k`` times its 40-unit base size."""
    pts = [(8, -38), (-22, 6), (-2, 6), (-10, 38), (22, -8), (2, -8)]
    cv.poly([(c[0] + x * k, c[1] + y * k) for x, y in pts], fill)


def wall_socket(cv: Canvas, c: Point, r: float) -> None:
    """A white wall plate with a round two-pin socket, centred on ``c``."""
    cv.rrect((c[0] - r * 1.55, c[1] - r * 1.55, c[0] + r * 1.55, c[1] + r * 1.55), r * 0.5, fill=WHITE)
    cv.circle(c, r, fill=TINT)
    cv.circle(c, r, outline=PALE, width=r * 0.06)


def router_power(cv: Canvas) -> None:
    box: Box = (90, 440, 530, 590)
    router(cv, leds=(OK, OK, OK, OK), box=box)
    sock = (700, 560)
    wall_socket(cv, sock, 80)
    # Cable from the router's side, sagging, up into the plug seated in the socket.
    p0, p1, p2 = (530, 500), (640, 700), (700, 560)
    pts = [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1],
        )
        for t in (i / 40 for i in range(41))
    ]
    cv.line(pts, 18, NAVY)
    cv.circle(sock, 58, fill=NAVY)
    cv.circle(sock, 40, fill=NAVY_2)
    # Power badge above the socket.
    c = (700, 330)
    cv.circle(c, 66, fill=WHITE)
    cv.circle(c, 56, fill=ACCENT)
    bolt(cv, c, 1.0, NAVY)


def power_plug(cv: Canvas) -> None:
    sock = (270, 450)
    wall_socket(cv, sock, 100)
    for dx in (-38, 38):
        cv.circle((sock[0] + dx, sock[1]), 14, fill=NAVY)
    # Plug pulled out to the right, prongs pointing at the socket.
    for dy in (-38, 38):
        cv.rrect((500, 450 + dy - 10, 590, 450 + dy + 10), 10, fill=STEEL)
    cv.rrect((570, 350, 700, 550), 46, fill=NAVY)
    cv.rrect((690, 410, 740, 490), 18, fill=NAVY)
    # Cable curving away and off the bottom of the card.
    p0, p1, p2 = (730, 450), (860, 470), (800, 940)
    pts = [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1],
        )
        for t in (i / 40 for i in range(41))
    ]
    cv.line(pts, 26, NAVY)
    # Motion marks between plug and socket.
    for dy in (-70, 0, 70):
        cv.line([(440, 450 + dy), (470, 450 + dy)], 10, ACCENT)


def wait_timer(cv: Canvas) -> None:
    c = (450, 480)
    shadow(cv, 450, 790, 360)
    cv.rrect((420, 150, 480, 220), 14, fill=NAVY)
    cv.rrect((390, 130, 510, 170), 20, fill=NAVY)
    # Side button at 45 degrees, tucked under the case.
    t = math.radians(-45)
    cv.line(
        [
            (c[0] + 250 * math.cos(t), c[1] + 250 * math.sin(t)),
            (c[0] + 318 * math.cos(t), c[1] + 318 * math.sin(t)),
        ],
        44,
        NAVY,
    )
    cv.circle(c, 280, fill=NAVY)
    cv.circle(c, 240, fill=WHITE)
    cv.pie(c, 200, -90, 90, "#DCE5FD")
    cv.pie(c, 200, -90, 0, PRIMARY)
    for i in range(12):
        t = math.radians(i * 30 - 90)
        r0 = 212 if i % 3 else 200
        cv.line(
            [
                (c[0] + r0 * math.cos(t), c[1] + r0 * math.sin(t)),
                (c[0] + 226 * math.cos(t), c[1] + 226 * math.sin(t)),
            ],
            8,
            MUTED,
        )
    cv.line([c, (c[0] + 150, c[1])], 20, NAVY)
    cv.circle(c, 26, fill=ACCENT)


def router_reset(cv: Canvas) -> None:
    box: Box = (130, 450, 650, 620)
    pin, _socket = router_back(cv, box)
    # Paperclip, pointing down-left into the pinhole. ``u`` runs along the clip, ``v`` across it.
    ang = math.radians(-58)
    ux, uy = math.cos(ang), math.sin(ang)
    vx, vy = -uy, ux

    def at(a: float, b: float) -> Point:
        return (pin[0] + ux * a + vx * b, pin[1] + uy * a + vy * b)

    def half(a: float, b0: float, b1: float, outward: float) -> list[Point]:
        """A half circle at ``a`` joining the runs at ``b0`` and ``b1``."""
        r = abs(b1 - b0) / 2
        mid = (b0 + b1) / 2
        return [
            at(a + outward * r * math.sin(k * math.pi / 16), mid - (b1 - b0) / 2 * math.cos(k * math.pi / 16))
            for k in range(1, 17)
        ]

    pts = [
        at(0, 0),
        at(330, 0),
        *half(330, 0, 76, 1),
        at(110, 76),
        *half(110, 76, 16, -1),
        at(250, 16),
        *half(250, 16, 58, 1),
        at(150, 58),
    ]
    cv.line(pts, 17, "#6E7BA6")
    cv.line(pts, 7, "#D3DAF0")
    # Press marks around the pinhole.
    for a in (115, 160, 235):
        t = math.radians(a)
        cv.line(
            [
                (pin[0] + 36 * math.cos(t), pin[1] + 36 * math.sin(t)),
                (pin[0] + 58 * math.cos(t), pin[1] + 58 * math.sin(t)),
            ],
            9,
            ACCENT,
        )


def firmware_progress(cv: Canvas) -> None:
    router(cv, leds=(OK, ACCENT, ACCENT, OK), box=(190, 570, 710, 730), antennas=True)
    # Floating update card.
    cv.rrect((170, 110, 730, 290), 40, fill=WHITE)
    c = (260, 200)
    cv.circle(c, 52, fill=PRIMARY)
    cv.line([(c[0], c[1] - 26), (c[0], c[1] + 20)], 12, WHITE)
    cv.line([(c[0] - 20, c[1] + 2), (c[0], c[1] + 22), (c[0] + 20, c[1] + 2)], 12, WHITE)
    bars(cv, 340, 152, (220,), h=16)
    cv.rrect((340, 208, 680, 240), 16, fill=TINT)
    cv.rrect((340, 208, 560, 240), 16, fill=ACCENT)


def phone_app(cv: Canvas) -> None:
    x0, y0, x1, _ = phone(cv)
    av = header_avatar(cv, ring=True)
    # Big status card and a grid of tiles.
    cv.rrect((x0, y0, x1, y0 + 150), 28, fill=TINT)
    wifi(cv, (x0 + 70, y0 + 105), 50, PRIMARY)
    bars(cv, x0 + 150, y0 + 48, (120, 80), h=16)
    tile = (x1 - x0 - 24) / 2

    def router_icon(p: Point) -> None:
        cv.rrect((p[0] - 40, p[1] - 6, p[0] + 40, p[1] + 26), 12, fill=PRIMARY)
        cv.rrect((p[0] - 30, p[1] - 34, p[0] - 22, p[1]), 4, fill=PRIMARY)
        cv.rrect((p[0] + 22, p[1] - 34, p[0] + 30, p[1]), 4, fill=PRIMARY)
        cv.circle((p[0] - 16, p[1] + 10), 6, fill=OK)
        cv.circle((p[0] + 4, p[1] + 10), 6, fill=OK)

    def person_icon(p: Point) -> None:
        cv.circle((p[0], p[1] - 14), 18, fill=PRIMARY)
        cv.pie((p[0], p[1] + 34), 34, 180, 360, PRIMARY)

    def chat_icon(p: Point) -> None:
        cv.rrect((p[0] - 38, p[1] - 30, p[0] + 38, p[1] + 20), 18, fill=PRIMARY)
        cv.poly([(p[0] - 16, p[1] + 16), (p[0] - 22, p[1] + 38), (p[0] + 4, p[1] + 18)], PRIMARY)

    icons: list[Callable[[Point], None]] = [
        router_icon,
        lambda p: shield(cv, p, 56, PRIMARY),
        person_icon,
        chat_icon,
    ]
    for i, icon in enumerate(icons):
        tx = x0 + (i % 2) * (tile + 24)
        ty = y0 + 180 + (i // 2) * (tile + 24)
        cv.rrect((tx, ty, tx + tile, ty + tile), 28, fill=SOFT, outline=PALE, width=3)
        icon((tx + tile / 2, ty + tile / 2))
    tap(cv, (av[0] + 6, av[1] + 8))


def _shield_icon(cv: Canvas, color: str) -> Callable[[Point], None]:
    return lambda p: shield(cv, p, 30, color)


def phone_security(cv: Canvas) -> None:
    x0, y0, _, _ = phone(cv)
    header_avatar(cv)
    dots = [lambda p, c=c: cv.circle(p, 11, fill=c) for c in (MUTED, MUTED, MUTED, MUTED)]
    ys = [y0, y0 + 110, y0 + 220, y0 + 330, y0 + 440]
    for i, y in enumerate(ys):
        if i == 2:
            row(cv, y, _shield_icon(cv, WHITE), (140, 90), hi=True)
        else:
            row(cv, y, dots[i % 4], (150 - 20 * (i % 2), 100))
    tap(cv, (x0 + 230, ys[2] + 40))


def phone_toggle(cv: Canvas) -> None:
    x0, y0, x1, _ = phone(cv)
    header_avatar(cv)
    # Security card with a shield and the main switch.
    cv.rrect((x0, y0, x1, y0 + 270), 30, fill=TINT)
    shield(cv, ((x0 + x1) / 2, y0 + 80), 80, PRIMARY)
    check(cv, ((x0 + x1) / 2, y0 + 80), 26, WHITE, 8)
    bars(cv, x0 + 30, y0 + 170, (150, 100), h=16, color=MUTED)
    toggle(cv, (x1 - 70, y0 + 196), 96, True)
    for i in range(3):
        y = y0 + 310 + i * 80
        bars(cv, x0 + 10, y + 10, (140 - 30 * i,), h=14)
        toggle(cv, (x1 - 60, y + 18), 72, False)
    tap(cv, (x1 - 48, y0 + 196))


def code_entry(cv: Canvas) -> None:
    # A message bubble with a lock (the code arrives) and six boxes, three filled with dots:
    # never digits, so nothing looks like a real one-time code.
    dy = 30
    cv.rrect((140, 120 + dy, 760, 330 + dy), 40, fill=WHITE)
    cv.poly([(210, 320 + dy), (200, 380 + dy), (270, 320 + dy)], WHITE)
    padlock(cv, (250, 225 + dy), 96, body=PRIMARY, shackle=NAVY)
    bars(cv, 340, 178 + dy, (300, 200), h=18, gap=18)
    bw, gap = 92, 18
    x = (SIZE - (6 * bw + 5 * gap)) / 2
    top = 460 + dy
    for i in range(6):
        bx = x + i * (bw + gap)
        box: Box = (bx, top, bx + bw, top + 120)
        if i < 3:
            cv.rrect(box, 22, fill=WHITE, outline=PRIMARY, width=5)
            cv.circle((bx + bw / 2, top + 60), 14, fill=NAVY)
        elif i == 3:
            cv.rrect(box, 22, fill=WHITE, outline=ACCENT, width=7)
            cv.rrect((bx + bw / 2 - 4, top + 30, bx + bw / 2 + 4, top + 90), 4, fill=PRIMARY)
        else:
            cv.rrect(box, 22, fill=WHITE, outline=PALE, width=5)
    # Confirm button (an arrow, no label).
    by = 705 + dy
    cv.rrect((230, by - 45, 670, by + 45), 45, fill=PRIMARY)
    cv.line([(420, by), (470, by)], 12, WHITE)
    cv.line([(450, by - 20), (472, by), (450, by + 20)], 12, WHITE)


def backup_codes(cv: Canvas) -> None:
    # Sheet of masked codes, slightly rotated feel by offsetting a second sheet behind.
    cv.rrect((200, 150, 640, 730), 40, fill=PALE)
    cv.rrect((170, 130, 610, 710), 40, fill=WHITE)
    cv.rrect((170, 130, 610, 220), 40, fill=PRIMARY)
    cv.rrect((170, 180, 610, 220), 0, fill=PRIMARY)
    bars(cv, 210, 162, (160,), h=18, color="#5B80EE")
    for i in range(5):
        y = 260 + i * 86
        cv.rrect((210, y, 570, y + 56), 28, fill=TINT)
        for k in range(4):
            cv.circle((250 + k * 34, y + 28), 9, fill=NAVY)
        for k in range(4):
            cv.circle((420 + k * 34, y + 28), 9, fill=NAVY)
    padlock(cv, (640, 620), 190, body=ACCENT, shackle=NAVY)


def shield_check(cv: Canvas) -> None:
    shadow(cv, 450, 800, 330)
    shield(cv, (450, 450), 440, PRIMARY)
    shield(cv, (450, 445), 360, "#3A68F0")
    check(cv, (450, 430), 150, WHITE, 42)
    for c, r in (((170, 250), 18), ((730, 300), 24), ((720, 620), 14), ((180, 560), 12)):
        cv.circle(c, r, fill=ACCENT)


def _router_icon(cv: Canvas, color: str) -> Callable[[Point], None]:
    def draw(p: Point) -> None:
        cv.rrect((p[0] - 18, p[1] - 2, p[0] + 18, p[1] + 14), 5, fill=color)
        cv.rrect((p[0] - 13, p[1] - 18, p[0] - 8, p[1]), 2, fill=color)
        cv.rrect((p[0] + 8, p[1] - 18, p[0] + 13, p[1]), 2, fill=color)

    return draw


def phone_router(cv: Canvas) -> None:
    x0, y0, _, _ = phone(cv)
    header_avatar(cv)
    ys = [y0, y0 + 110, y0 + 220, y0 + 330]
    row(cv, ys[0], _router_icon(cv, WHITE), (150, 90), hi=True)
    for y, w in zip(ys[1:], (130, 160, 110), strict=True):
        row(cv, y, lambda p: cv.circle(p, 11, fill=MUTED), (w, 80))
    tap(cv, (x0 + 240, ys[0] + 40))
    # The router itself, peeking out beside the phone.
    router(cv, box=(560, 640, 840, 740), antennas=False)


def phone_update(cv: Canvas) -> None:
    x0, y0, x1, _ = phone(cv)
    header_avatar(cv)
    c = ((x0 + x1) / 2, y0 + 140)
    cv.circle(c, 110, fill=TINT)
    cv.circle(c, 80, fill=PRIMARY)
    cv.line([(c[0], c[1] - 40), (c[0], c[1] + 30)], 16, WHITE)
    cv.line([(c[0] - 30, c[1] + 2), (c[0], c[1] + 32), (c[0] + 30, c[1] + 2)], 16, WHITE)
    bars(cv, x0 + 40, y0 + 290, (214, 150), h=16)
    cv.rrect((x0 + 20, y0 + 400, x1 - 20, y0 + 480), 40, fill=PRIMARY)
    bars(cv, (x0 + x1) / 2 - 60, y0 + 432, (120,), h=16, color="#7FA0F5")
    tap(cv, ((x0 + x1) / 2 + 60, y0 + 446))
    # New-version badge.
    cv.circle((c[0] + 80, c[1] - 76), 26, fill=ACCENT)


def phone_wifi(cv: Canvas) -> None:
    x0, y0, x1, _ = phone(cv)
    header_avatar(cv)
    cv.rrect((x0, y0, x1, y0 + 200), 30, fill=TINT)
    wifi(cv, ((x0 + x1) / 2, y0 + 150), 100, PRIMARY)
    ys = [y0 + 230, y0 + 340, y0 + 450]

    def laptop_icon(p: Point) -> None:
        cv.rrect((p[0] - 16, p[1] - 12, p[0] + 16, p[1] + 8), 3, fill=PRIMARY)
        cv.rrect((p[0] - 20, p[1] + 8, p[0] + 20, p[1] + 13), 2, fill=PRIMARY)

    shapes: list[Callable[[Point], None]] = [
        lambda p: cv.rrect((p[0] - 10, p[1] - 17, p[0] + 10, p[1] + 17), 5, fill=PRIMARY),
        laptop_icon,
        lambda p: cv.rrect((p[0] - 18, p[1] - 12, p[0] + 18, p[1] + 12), 4, fill=PRIMARY),
    ]
    for y, icon, w in zip(ys, shapes, (140, 110, 160), strict=True):
        row(cv, y, icon, (w, 80))
        cv.circle((x1 - 20, y + 37), 9, fill=OK)


def key_lock(cv: Canvas) -> None:
    shadow(cv, 450, 790, 520)
    padlock(cv, (340, 560), 300, body=PRIMARY, shackle=NAVY)
    # A key leaning against the lock.
    head = (640, 330)
    cv.circle(head, 82, fill=ACCENT)
    cv.circle(head, 30, fill=TINT)
    ang = math.radians(110)
    tip = (head[0] + 380 * math.cos(ang), head[1] + 380 * math.sin(ang))
    shaft_start = (head[0] + 70 * math.cos(ang), head[1] + 70 * math.sin(ang))
    cv.line([shaft_start, tip], 34, ACCENT)
    # Teeth, perpendicular to the shaft near the tip.
    px, py = -math.sin(ang), math.cos(ang)
    for k in (0.78, 0.92):
        bx = head[0] + 380 * k * math.cos(ang)
        by = head[1] + 380 * k * math.sin(ang)
        cv.line([(bx, by), (bx + 50 * px * -1, by + 50 * py * -1)], 26, ACCENT)


def password_strength(cv: Canvas) -> None:
    cv.rrect((120, 250, 780, 650), 48, fill=WHITE)
    padlock(cv, (210, 360), 90, body=PRIMARY, shackle=NAVY)
    cv.rrect((290, 320, 730, 400), 40, fill=TINT)
    for k in range(12):
        cv.circle((330 + k * 33, 360), 10, fill=NAVY)
    # Strength meter: four full segments.
    for k in range(4):
        x = 170 + k * 145
        cv.rrect((x, 470, x + 125, 500), 15, fill=OK)
    bars(cv, 170, 550, (260,), h=18)
    badge_check(cv, (720, 250), 50)


def wifi_restart(cv: Canvas) -> None:
    c = (450, 470)
    cv.circle(c, 300, fill=WHITE)
    cv.arc(c, 250, 120, 400, 30, PRIMARY)
    # Arrow head at the end of the circular arrow (angle 400 = 40°).
    t = math.radians(40)
    e = (c[0] + 250 * math.cos(t), c[1] + 250 * math.sin(t))
    tang = (-math.sin(t), math.cos(t))
    nrm = (math.cos(t), math.sin(t))
    cv.poly(
        [
            (e[0] + tang[0] * 60, e[1] + tang[1] * 60),
            (e[0] + nrm[0] * 50, e[1] + nrm[1] * 50),
            (e[0] - nrm[0] * 50, e[1] - nrm[1] * 50),
        ],
        PRIMARY,
    )
    wifi(cv, (450, 570), 190, NAVY)


def devices_wifi(cv: Canvas) -> None:
    wifi(cv, (450, 330), 170, PRIMARY)
    shadow(cv, 450, 760, 700)
    # TV (left).
    cv.rrect((70, 500, 350, 680), 20, fill=NAVY)
    cv.rrect((84, 514, 336, 666), 10, fill="#3A68F0")
    cv.line([(120, 690), (108, 718)], 14, NAVY)
    cv.line([(300, 690), (312, 718)], 14, NAVY)
    # Laptop (middle).
    cv.rrect((370, 520, 610, 690), 18, fill=NAVY)
    cv.rrect((384, 534, 596, 676), 8, fill="#3A68F0")
    cv.rrect((340, 690, 640, 722), 16, fill=NAVY)
    # Phone (right).
    cv.rrect((660, 520, 790, 730), 24, fill=NAVY)
    cv.rrect((672, 540, 778, 710), 12, fill="#3A68F0")
    for c in ((330, 500), (590, 520), (780, 520)):
        badge_check(cv, c, 26)


def gauge(cv: Canvas, c: Point, r: float, width: float, level: float) -> None:
    """A speedometer: track, filled part up to ``level`` (0..1), ticks and a needle."""
    end = 180 + 180 * level
    cv.arc(c, r, 180, 360, width, PALE)
    cv.arc(c, r, 180, end, width, PRIMARY)
    for k in range(7):
        t = math.radians(180 + k * 30)
        cv.line(
            [
                (c[0] + (r - width * 1.3) * math.cos(t), c[1] + (r - width * 1.3) * math.sin(t)),
                (c[0] + (r - width * 1.7) * math.cos(t), c[1] + (r - width * 1.7) * math.sin(t)),
            ],
            width * 0.2,
            MUTED,
        )
    t = math.radians(end)
    cv.line(
        [c, (c[0] + (r - width * 1.2) * math.cos(t), c[1] + (r - width * 1.2) * math.sin(t))],
        width * 0.35,
        NAVY,
    )
    cv.circle(c, width * 0.55, fill=ACCENT)


def arrow(cv: Canvas, c: Point, size: float, up: bool, color: str) -> None:
    """A simple up or down arrow centred on ``c``."""
    d = -1 if up else 1
    w = size * 0.22
    cv.line([(c[0], c[1] - d * size / 2), (c[0], c[1] + d * size / 2)], w, color)
    cv.line(
        [
            (c[0] - size * 0.35, c[1] + d * size * 0.12),
            (c[0], c[1] + d * size / 2),
            (c[0] + size * 0.35, c[1] + d * size * 0.12),
        ],
        w,
        color,
    )


def laptop(cv: Canvas, box: Box, screen: str = "#3A68F0") -> None:
    """A laptop whose lid fills ``box``; the base sits just below it."""
    x0, y0, x1, y1 = box
    cv.rrect(box, 18, fill=NAVY)
    cv.rrect((x0 + 14, y0 + 14, x1 - 14, y1 - 14), 8, fill=screen)
    cv.rrect((x0 - 30, y1, x1 + 30, y1 + 32), 16, fill=NAVY)


def tv(cv: Canvas, box: Box, screen: str = "#3A68F0") -> None:
    x0, y0, x1, y1 = box
    cv.rrect(box, 20, fill=NAVY)
    cv.rrect((x0 + 14, y0 + 14, x1 - 14, y1 - 14), 10, fill=screen)
    cv.line([(x0 + 50, y1 + 10), (x0 + 38, y1 + 38)], 14, NAVY)
    cv.line([(x1 - 50, y1 + 10), (x1 - 38, y1 + 38)], 14, NAVY)


def pause_badge(cv: Canvas, c: Point, r: float) -> None:
    cv.circle(c, r, fill=WHITE)
    for dx in (-r * 0.28, r * 0.28):
        cv.rrect(
            (c[0] + dx - r * 0.12, c[1] - r * 0.42, c[0] + dx + r * 0.12, c[1] + r * 0.42),
            r * 0.08,
            fill=NAVY,
        )


def phone_near_router(cv: Canvas) -> None:
    router(cv, box=(90, 470, 470, 610))
    # A phone standing right beside it, showing a full signal.
    shadow(cv, 670, 716, 220)
    cv.rrect((580, 330, 760, 710), 40, fill=NAVY)
    cv.rrect((596, 346, 744, 694), 28, fill=WHITE)
    wifi(cv, (670, 560), 70, PRIMARY)
    bars(cv, 620, 600, (100,), h=14)
    # "Close together": a short two-headed distance marker under both.
    y = 790
    cv.line([(330, y), (610, y)], 10, ACCENT)
    for x, d in ((330, 1), (610, -1)):
        cv.line([(x + d * 26, y - 22), (x, y), (x + d * 26, y + 22)], 10, ACCENT)


def devices_pause(cv: Canvas) -> None:
    shadow(cv, 450, 760, 720)
    tv(cv, (70, 330, 470, 600))
    pause_badge(cv, (270, 465), 62)
    laptop(cv, (540, 470, 800, 680))
    pause_badge(cv, (670, 575), 50)
    # A big download being held: an amber arrow over the TV.
    cv.circle((460, 300), 50, fill=ACCENT)
    arrow(cv, (460, 300), 52, up=False, color=NAVY)


def speed_gauge(cv: Canvas) -> None:
    cv.rrect((110, 160, 790, 760), 56, fill=WHITE)
    gauge(cv, (450, 520), 260, 54, 0.82)
    # Download and upload readouts (placeholders, no figures).
    for x, up in ((170, False), (490, True)):
        cv.rrect((x, 600, x + 240, 700), 30, fill=TINT)
        cv.circle((x + 50, 650), 30, fill=PRIMARY if not up else ACCENT)
        arrow(cv, (x + 50, 650), 30, up=up, color=WHITE if not up else NAVY)
        bars(cv, x + 100, 636, (110,), h=18, color=MUTED)


def phone_speed(cv: Canvas) -> None:
    x0, y0, x1, _ = phone(cv)
    header_avatar(cv)
    cx = (x0 + x1) / 2
    gauge(cv, (cx, y0 + 230), 130, 30, 0.35)
    bars(cv, cx - 80, y0 + 290, (160,), h=16)
    cv.rrect((x0 + 20, y0 + 400, x1 - 20, y0 + 480), 40, fill=PRIMARY)
    cv.poly([(cx - 14, y0 + 420), (cx - 14, y0 + 460), (cx + 20, y0 + 440)], WHITE)
    tap(cv, (cx + 70, y0 + 452))


def laptop_cable(cv: Canvas) -> None:
    router(cv, box=(60, 470, 400, 600), antennas=True)
    shadow(cv, 680, 618, 330)
    laptop(cv, (560, 380, 800, 570))
    # Network cable from the router's side to the side of the laptop's base, plugs at both ends.
    p0, p1, p2 = (420, 540), (470, 720), (518, 586)
    pts = [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1],
        )
        for t in (i / 40 for i in range(41))
    ]
    cv.line(pts, 16, ACCENT)
    cv.rrect((396, 524, 426, 556), 6, fill=ACCENT)
    cv.rrect((512, 574, 536, 598), 6, fill=ACCENT)
    badge_check(cv, (790, 370), 40)


def logo(cv: Canvas, light: bool = False) -> None:
    """The Lumen mark: a light rising over a horizon, its rays fanning out."""
    sz = cv.size
    bg, fg = (WHITE, PRIMARY) if light else (PRIMARY, WHITE)
    cv.rrect((0, 0, sz, sz), sz * 0.24, fill=bg)
    c = (sz * 0.5, sz * 0.64)
    cv.pie(c, sz * 0.19, 180, 360, ACCENT)
    for k in range(5):
        t = math.radians(180 + 22.5 + k * 33.75)
        cv.line(
            [
                (c[0] + sz * 0.27 * math.cos(t), c[1] + sz * 0.27 * math.sin(t)),
                (c[0] + sz * 0.35 * math.cos(t), c[1] + sz * 0.35 * math.sin(t)),
            ],
            sz * 0.055,
            fg,
        )
    cv.line([(sz * 0.2, sz * 0.69), (sz * 0.8, sz * 0.69)], sz * 0.065, fg)


SAMPLES: dict[str, Callable[[Canvas], None]] = {
    "router-lights": router_lights,
    "power-plug": power_plug,
    "wait-timer": wait_timer,
    "router-power": router_power,
    "router-reset": router_reset,
    "router-ok": router_ok,
    "phone-app": phone_app,
    "phone-security": phone_security,
    "phone-toggle": phone_toggle,
    "code-entry": code_entry,
    "backup-codes": backup_codes,
    "shield-check": shield_check,
    "phone-router": phone_router,
    "phone-update": phone_update,
    "firmware-progress": firmware_progress,
    "phone-wifi": phone_wifi,
    "key-lock": key_lock,
    "password-strength": password_strength,
    "wifi-restart": wifi_restart,
    "devices-wifi": devices_wifi,
    "phone-near-router": phone_near_router,
    "devices-pause": devices_pause,
    "phone-speed": phone_speed,
    "speed-gauge": speed_gauge,
    "laptop-cable": laptop_cable,
}


def build(only: Sequence[str] = (), out: Path = HERE) -> list[Path]:
    """Draw every sample (or only the named ones, ``logo`` for the brand marks) into ``out``.

    ``out`` is the assets folder: PNGs go to ``out/samples`` and ``out/brand``. Returns the
    written paths.
    """
    written: list[Path] = []
    for name, draw in SAMPLES.items():
        if only and name not in only:
            continue
        cv = Canvas()
        card(cv)
        draw(cv)
        path = out / "samples" / f"{name}.png"
        cv.save(path, clip_radius=80)
        written.append(path)
    if not only or "logo" in only:
        for light, name in ((False, "logo"), (True, "logo-light")):
            cv = Canvas(size=512, scale=4)
            logo(cv, light)
            path = out / "brand" / f"{name}.png"
            cv.save(path)
            written.append(path)
    return written


if __name__ == "__main__":
    for p in build(sys.argv[1:]):
        print(p.relative_to(HERE.parent))
