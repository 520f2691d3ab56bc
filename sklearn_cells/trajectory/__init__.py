"""Trajectories: validation, transformers, classification and generation.

A trajectory is a float array ``(n_steps, n_dims)``, time first; a collection
is a list (or 1-D object array) of them, or a 3-D array
``(n_trajectories, n_steps, n_dims)``.
"""

from ._validation import check_trajectories, check_trajectory_labels

__all__ = ["check_trajectories", "check_trajectory_labels"]
