"""The weekly attendance chart: one stacked bar per school week, drawn where the pack puts it."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from cases.evidence.register import Week
from notifications.pdf import FONT

# Bar colours (RGB, 0-255): attended, authorised absence, unauthorised absence.
ATTENDED, AUTHORISED, UNAUTHORISED = (60, 110, 160), (190, 190, 190), (200, 70, 60)
CHART_H, LABEL_H = 45.0, 10.0  # mm: the bars' area and the week labels under it
SCALE_W = 8.0  # mm left of the bars for the scale's numbers
AXES = 150 / 255  # grey


def _rgb(colour: tuple[int, int, int]) -> tuple[float, float, float]:
    red, green, blue = colour
    return red / 255, green / 255, blue / 255


class WeeklyChart(Flowable):
    """Each bar's height is the week's possible sessions: blue attended, grey authorised
    absence, red unauthorised absence, on a scale of at least ten sessions."""

    def __init__(self, weeks: list[Week]) -> None:
        super().__init__()
        self.weeks = weeks
        self.width = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, (2 + CHART_H + LABEL_H) * mm

    def draw(self) -> None:
        canvas = self.canv
        left, bottom, top = SCALE_W * mm, LABEL_H * mm, (LABEL_H + CHART_H) * mm
        width = self.width - left
        scale_max = max(10, *(w.possible for w in self.weeks))
        step = width / len(self.weeks)
        bar = step * 0.75
        canvas.setStrokeGray(AXES)
        canvas.setLineWidth(0.2 * mm)
        canvas.line(left, bottom, left + width, bottom)
        canvas.line(left, bottom, left, top)
        canvas.setFont(FONT, 6)
        for value in (0, scale_max // 2, scale_max):
            y = bottom + CHART_H * mm * value / scale_max
            canvas.drawRightString(left - 1 * mm, y - 0.8 * mm, str(value))
        for i, week in enumerate(self.weeks):
            x = left + i * step + (step - bar) / 2
            y = bottom
            for count, colour in (
                (week.attended, ATTENDED),
                (week.authorised, AUTHORISED),
                (week.unauthorised, UNAUTHORISED),
            ):
                if count:
                    height = CHART_H * mm * count / scale_max
                    canvas.setFillColorRGB(*_rgb(colour))
                    canvas.rect(x, y, bar, height, stroke=0, fill=1)
                    y += height
            # A label every few weeks keeps a year's 39 weeks legible.
            if i % max(1, len(self.weeks) // 8) == 0:
                canvas.setFillGray(0)
                canvas.drawString(
                    x - 2 * mm, bottom - 3.2 * mm, f"{week.monday.day} {week.monday:%b}"
                )
