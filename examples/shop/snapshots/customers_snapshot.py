"""Customer history (SCD type 2): every change to a customer record becomes a new version."""

import ibis

from pyflow import snapshot


@snapshot(
    unique_key="customer_id",
    strategy="timestamp",
    updated_at="updated_at",
    hard_deletes="invalidate",
)
def customers_snapshot(ecommerce__customers: ibis.Table) -> ibis.Table:
    """The raw customers as they are now; pyflow records what changed since the last run."""
    return ecommerce__customers
