/// The mAI app's three usage tables as SQLAlchemy renders its migration on SQLite (captured from
/// `Tests/Fixtures/mai-app-migration` with alembic's operations on a SQLite engine): what the app makes.
public enum AppUsageSQL {
    public static let sqlite = """
        CREATE TABLE client_organizations (id VARCHAR NOT NULL, name VARCHAR NOT NULL, openrouter_api_key TEXT NOT NULL, \
        openrouter_key_hash VARCHAR, markup_rate FLOAT, monthly_limit FLOAT, billing_email VARCHAR, is_active INTEGER, \
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (id), UNIQUE (openrouter_api_key));
        CREATE INDEX idx_api_key ON client_organizations (openrouter_api_key);
        CREATE INDEX idx_active ON client_organizations (is_active);
        CREATE TABLE client_user_daily_usage (id VARCHAR NOT NULL, client_org_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, \
        openrouter_user_id VARCHAR NOT NULL, usage_date DATE NOT NULL, total_tokens BIGINT, total_requests INTEGER, \
        raw_cost FLOAT, markup_cost FLOAT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (id));
        CREATE INDEX idx_client_user_date ON client_user_daily_usage (client_org_id, user_id, usage_date);
        CREATE INDEX idx_user_date ON client_user_daily_usage (user_id, usage_date);
        CREATE TABLE client_model_daily_usage (id VARCHAR NOT NULL, client_org_id VARCHAR NOT NULL, model_name VARCHAR NOT NULL, \
        usage_date DATE NOT NULL, total_tokens BIGINT, total_requests INTEGER, raw_cost FLOAT, markup_cost FLOAT, \
        provider VARCHAR, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (id));
        CREATE INDEX idx_client_model_date ON client_model_daily_usage (client_org_id, model_name, usage_date);
        CREATE INDEX idx_model_date ON client_model_daily_usage (model_name, usage_date);
        """

}
