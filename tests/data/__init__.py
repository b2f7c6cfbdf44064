"""Tests of scratchdl.data: loaders, data sets, generators and helpers."""
