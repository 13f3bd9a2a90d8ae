"""Models of the study library: each module holds the steps of one study (micro and
macro), written as numpy functions that take a batch of samples as arrays."""
