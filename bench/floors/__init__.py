"""The floors the command-line benchmarks compare against: the least a whole process can do."""
