"""Machinery shared by question kinds (not kinds themselves; the registry does not scan here):
symbolic namespaces and sample points, gradient-descent simulation, numeric readers."""
