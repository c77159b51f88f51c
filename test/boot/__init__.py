"""coop boot tests: QEMU + OVMF machines, KTAP parsing, and the "hands"
library (keys, serial, screen) that interactive boot tests use."""
