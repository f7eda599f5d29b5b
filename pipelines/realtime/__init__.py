"""The live path: a Massive/Polygon-protocol feed into Redis TimeSeries.

Parts: `messages` (protocol parsing), `screening` (which events may be stored, and why
not), `feed` (connection loop), `sink` (batched Redis writes), `velocity` (rolling %
change and alerts), `candles` (live candle reads), `worker` (wires them), `simulator`
(a local market), `launch` (for `make run`).
"""
