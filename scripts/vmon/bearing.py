"""Rolling-element bearing geometry and its defect frequencies (standard library only).

Shared by the synthetic rigs, the importers, the physics-based fault typing and the firmware
presets. Frequencies assume a stationary outer race and the inner race turning with the shaft
at ``f_shaft`` Hz (Harris, *Rolling Bearing Analysis*; Randall & Antoni, MSSP 25, 2011).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from vmon.errors import VmonError

#: Fault labels and the defect frequency their impacts repeat at.
DEFECT_OF_LABEL = {"outer_race": "BPFO", "inner_race": "BPFI", "ball": "2xBSF"}


@dataclass(frozen=True)
class BearingGeometry:
    """Rolling-element bearing geometry; diameters in mm (only their ratio matters)."""

    n_balls: int
    ball_diameter: float
    pitch_diameter: float
    contact_angle_deg: float = 0.0

    def __post_init__(self) -> None:
        # Each check names the impossible value: geometry comes from users and datasets.
        if not isinstance(self.n_balls, int) or self.n_balls < 1:
            raise VmonError(f"bearing geometry: {self.n_balls} balls; need at least 1")
        if not (math.isfinite(self.ball_diameter) and self.ball_diameter > 0):
            raise VmonError(f"bearing geometry: ball diameter {self.ball_diameter} must be > 0")
        if not (math.isfinite(self.pitch_diameter) and self.pitch_diameter > self.ball_diameter):
            raise VmonError(
                f"bearing geometry: pitch diameter {self.pitch_diameter} must exceed the ball "
                f"diameter {self.ball_diameter}"
            )
        if not (math.isfinite(self.contact_angle_deg) and 0 <= self.contact_angle_deg < 90):
            raise VmonError(
                f"bearing geometry: contact angle {self.contact_angle_deg} deg must be in [0, 90)"
            )

    @property
    def ratio(self) -> float:
        """Bd/Pd cos(alpha), the term every formula shares."""
        return (
            self.ball_diameter
            / self.pitch_diameter
            * math.cos(math.radians(self.contact_angle_deg))
        )

    def ftf(self, f_shaft: float) -> float:
        """Fundamental train (cage) frequency: f/2 (1 - Bd/Pd cos a)."""
        return f_shaft / 2 * (1 - self.ratio)

    def bpfo(self, f_shaft: float) -> float:
        """Ball pass frequency, outer race: n f/2 (1 - Bd/Pd cos a)."""
        return self.n_balls * f_shaft / 2 * (1 - self.ratio)

    def bpfi(self, f_shaft: float) -> float:
        """Ball pass frequency, inner race: n f/2 (1 + Bd/Pd cos a)."""
        return self.n_balls * f_shaft / 2 * (1 + self.ratio)

    def bsf(self, f_shaft: float) -> float:
        """Ball spin frequency: Pd/(2 Bd) f (1 - (Bd/Pd cos a)^2).

        The rotation rate of a ball about its own axis. A ball defect strikes both races
        once per spin, so its impacts repeat at 2 x BSF (some tables list that value as
        the "rolling element" frequency).
        """
        return self.pitch_diameter / (2 * self.ball_diameter) * f_shaft * (1 - self.ratio**2)

    def defects(self, f_shaft: float) -> dict[str, float]:
        """The impact rate (Hz) of each fault label at shaft rate ``f_shaft``."""
        return {
            "outer_race": self.bpfo(f_shaft),
            "inner_race": self.bpfi(f_shaft),
            "ball": 2.0 * self.bsf(f_shaft),
        }

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Any, where: str = "bearing") -> BearingGeometry:
        if not isinstance(doc, dict):
            raise VmonError(f"{where} must be an object with n_balls, ball_diameter, ...")
        try:
            return cls(
                n_balls=int(doc["n_balls"]),
                ball_diameter=float(doc["ball_diameter"]),
                pitch_diameter=float(doc["pitch_diameter"]),
                contact_angle_deg=float(doc.get("contact_angle_deg", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise VmonError(f"{where} is incomplete or not numeric ({err})") from None


#: Catalogue geometry of common deep-groove ball bearings (diameters in mm). The
#: designation is the bearing's; the figures are the manufacturer's internal geometry.
PRESETS: dict[str, BearingGeometry] = {
    # SKF 6205-2RS JEM: 9 balls of 5/16 in on a 1.537 in pitch circle.
    "6205-2RS": BearingGeometry(9, 7.94, 39.04, 0.0),
    # SKF 6203-2RS JEM: 8 balls of 0.2656 in on a 1.122 in pitch circle.
    "6203-2RS": BearingGeometry(8, 6.746, 28.50, 0.0),
}
PRESET_ALIASES = {"6205": "6205-2RS", "6203": "6203-2RS"}


def parse_bearing(spec: str) -> BearingGeometry:
    """``DESIGNATION`` (a preset) or ``N,BALL_MM,PITCH_MM[,ANGLE_DEG]``."""
    text = spec.strip()
    key = PRESET_ALIASES.get(text.upper(), text.upper())
    if key in PRESETS:
        return PRESETS[key]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (3, 4):
        raise VmonError(
            f"bearing {spec!r}: give a designation ({', '.join(sorted(PRESETS))}) or "
            "N,BALL_MM,PITCH_MM[,ANGLE_DEG]"
        )
    try:
        n = int(parts[0])
        values = [float(p) for p in parts[1:]]
    except ValueError:
        raise VmonError(f"bearing {spec!r}: N must be an integer and the rest numbers") from None
    return BearingGeometry(n, *values)
