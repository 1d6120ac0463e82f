"""Sensing: sensor types, their building blocks, and the controller that runs them.

``types`` holds what a sensor plugin declares; ``digital_input``, ``debounce`` and
``countdown`` are the building blocks most sensors are made of; ``config`` validates a
sensor's settings; ``controller`` runs the configured sensor and turns its edges into
events. Plugins reach all of this through :mod:`seccam_core`, never from here.
"""
