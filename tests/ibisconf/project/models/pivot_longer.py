"""pivot_longer: quarter columns to rows."""

import ibis

from pyflow import model


@model
def pivot_longer(shop__quarterly: ibis.Table) -> ibis.Table:
    return shop__quarterly.pivot_longer(["q1", "q2"], names_to="quarter", values_to="sales")
