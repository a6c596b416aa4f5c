"""The quarter's processes, one module each, in the order the model runs them:
``access`` (policy on connectivity, devices, skills, campaigns, grants), ``awareness``,
``choice`` (with seat and budget rationing), ``study`` (completion, credits, stacking) and
``labour`` (recognition, wages, jobs, employer observations). Each is a function
``run(model, quarter)`` over the learner arrays."""
