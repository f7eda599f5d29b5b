"""The live path: a Massive/Polygon-protocol feed into Redis TimeSeries.

Parts: `messages` (protocol parsing), `screening` (which events may be stored, and why
not), `feed` (connection loop), `velocity` (rolling % change and alerts), `keys` (the
Redis key scheme and the worker's published config), `sink` (batched Redis writes) over
`transport` (packed commands, replies) and `routing` (cluster slots), `worker` (wires
them), `simulator` (a local market), `launch` (for `make run`). The live pages read
Redis through `app/` by the scheme in `keys`.
"""
