"""An office and a kabupaten as their files describe them, and who may see what."""
