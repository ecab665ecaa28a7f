"""The lab in Docker containers: the image built here, the roles deployed by molecule."""
