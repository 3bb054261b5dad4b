"""CX Marketing: lead capture, segments, campaign email, campaign results, triggers."""
