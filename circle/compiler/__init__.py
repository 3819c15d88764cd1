"""Pipeline YAML (Drone 0.8 and Woodpecker styles) → the IR of circle.pipeline.types."""
