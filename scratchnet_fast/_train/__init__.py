"""Training in Python around the kernels: the one choice of trainer, the full-batch and mini-batch trainers, the loop.

`choose.trainer` picks the trainer for a network (the only place that does); `full_batch` and
`mini_batch` hold a training set's buffers and call the kernels each step; `loop.descend` runs the
iterations, with the warnings of `watch`, the end-of-epoch rules of `convergence` and the stop
flag of `stopping`; `optimizer` is a solver's Python side. May import `_kernels` and `_compile`;
never the API.
"""
