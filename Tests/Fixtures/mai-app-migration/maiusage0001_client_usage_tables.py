"""mAI's usage tables (a stand-in for the mAI app's own migration)

Revision ID: maiusage0001
Revises: 0bd252b206fb

Written for mai-entrypoint's tests from the facts of the mAI app's schema (its "client organization usage"
migration and models): the same tables, column types, nullability and index names. The app's own migration
revises an older Open WebUI revision; this one is chained after Open WebUI 0.12.4's head (0bd252b206fb), so
that Open WebUI 0.12.4 with this file in its versions folder migrates in the app's order: its own tables first,
then the usage tables. Defaults are SQLAlchemy's (Python side), as in the app: no server defaults.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "maiusage0001"
down_revision: Union[str, None] = "0bd252b206fb"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _stamps():
    return [sa.Column("created_at", sa.BigInteger, nullable=False),
            sa.Column("updated_at", sa.BigInteger, nullable=False)]


def _amounts():
    return [sa.Column("total_tokens", sa.BigInteger, default=0),
            sa.Column("total_requests", sa.Integer, default=0),
            sa.Column("raw_cost", sa.Float, default=0.0),
            sa.Column("markup_cost", sa.Float, default=0.0)]


def upgrade() -> None:
    op.create_table(
        "global_settings",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("openrouter_provisioning_key", sa.Text, nullable=True),
        sa.Column("default_markup_rate", sa.Float, default=1.3),
        sa.Column("billing_currency", sa.String, default="USD"),
        *_stamps(),
    )
    op.create_table(
        "client_organizations",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("openrouter_api_key", sa.Text, nullable=False, unique=True),
        sa.Column("openrouter_key_hash", sa.String, nullable=True),
        sa.Column("markup_rate", sa.Float, default=1.3),
        sa.Column("monthly_limit", sa.Float, nullable=True),
        sa.Column("billing_email", sa.String, nullable=True),
        sa.Column("is_active", sa.Integer, default=1),
        *_stamps(),
    )
    op.create_table(
        "user_client_mapping",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("user_id", sa.String, nullable=False),
        sa.Column("client_org_id", sa.String, nullable=False),
        sa.Column("openrouter_user_id", sa.String, nullable=False),
        sa.Column("is_active", sa.Integer, default=1),
        *_stamps(),
    )
    op.create_table(
        "client_daily_usage",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("client_org_id", sa.String, nullable=False),
        sa.Column("usage_date", sa.Date, nullable=False),
        *_amounts(),
        sa.Column("primary_model", sa.String, nullable=True),
        sa.Column("unique_users", sa.Integer, default=1),
        *_stamps(),
    )
    op.create_table(
        "client_user_daily_usage",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("client_org_id", sa.String, nullable=False),
        sa.Column("user_id", sa.String, nullable=False),
        sa.Column("openrouter_user_id", sa.String, nullable=False),
        sa.Column("usage_date", sa.Date, nullable=False),
        *_amounts(),
        *_stamps(),
    )
    op.create_table(
        "client_model_daily_usage",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("client_org_id", sa.String, nullable=False),
        sa.Column("model_name", sa.String, nullable=False),
        sa.Column("usage_date", sa.Date, nullable=False),
        *_amounts(),
        sa.Column("provider", sa.String, nullable=True),
        *_stamps(),
    )
    op.create_table(
        "client_live_counters",
        sa.Column("client_org_id", sa.String, primary_key=True),
        sa.Column("current_date", sa.Date, nullable=False),
        sa.Column("today_tokens", sa.BigInteger, default=0),
        sa.Column("today_requests", sa.Integer, default=0),
        sa.Column("today_raw_cost", sa.Float, default=0.0),
        sa.Column("today_markup_cost", sa.Float, default=0.0),
        sa.Column("last_updated", sa.BigInteger, nullable=False),
    )
    for name, table, columns in (
        ("idx_api_key", "client_organizations", ["openrouter_api_key"]),
        ("idx_active", "client_organizations", ["is_active"]),
        ("idx_user_id", "user_client_mapping", ["user_id"]),
        ("idx_client_org_id", "user_client_mapping", ["client_org_id"]),
        ("idx_openrouter_user_id", "user_client_mapping", ["openrouter_user_id"]),
        ("idx_client_date", "client_daily_usage", ["client_org_id", "usage_date"]),
        ("idx_usage_date", "client_daily_usage", ["usage_date"]),
        ("idx_client_user_date", "client_user_daily_usage", ["client_org_id", "user_id", "usage_date"]),
        ("idx_user_date", "client_user_daily_usage", ["user_id", "usage_date"]),
        ("idx_client_model_date", "client_model_daily_usage", ["client_org_id", "model_name", "usage_date"]),
        ("idx_model_date", "client_model_daily_usage", ["model_name", "usage_date"]),
        ("idx_client_live_date", "client_live_counters", ["client_org_id", "current_date"]),
    ):
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table in ("client_live_counters", "client_model_daily_usage", "client_user_daily_usage",
                  "client_daily_usage", "user_client_mapping", "client_organizations", "global_settings"):
        op.drop_table(table)
