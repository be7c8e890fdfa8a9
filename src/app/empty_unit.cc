// Placeholder translation unit for an area whose library has no sources of its own yet.
