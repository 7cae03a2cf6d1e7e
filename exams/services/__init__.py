"""The exam services: settings, attempts, qualifications, disputes and notices."""
