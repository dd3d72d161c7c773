//! Image references parsed and normalised exactly as Docker does
