"""vierhoeken: real-time boards for the "vier hoeken" workshop format."""

__version__ = "0.1.0"
