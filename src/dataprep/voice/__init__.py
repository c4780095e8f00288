"""``dataprep voice``: recordings to sliced, transcribed, filtered clips and annotation lists.

Importing this package is cheap; numpy, soundfile, silero-vad and faster-whisper are
imported only where they are used.
"""
