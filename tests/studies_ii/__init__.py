"""Study library II: Green-Kubo to capillary flow, cardiac fibrosis, nonlocal tumour
transport (issue 8). The models' physics, their verification cases, reduced runs."""
