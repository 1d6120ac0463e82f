"""The catalogue: the archive's files and the event history, in one SQLite file.

``<data>/catalogue.sqlite3`` holds the archive catalogue (:mod:`.archive`), the event
history and the health samples (:mod:`.history`); :mod:`.database` owns the file and the
one thread that runs every query; :mod:`.service` starts and stops them with the app.
"""
