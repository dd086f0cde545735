"""One module per DigitalOcean service: its state slice, validation, lifecycle transitions and output
shapes, without HTTP. See :mod:`ocean.emulator` for the map and :mod:`ocean.emulator.services.base` for how
services reach each other."""
