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

/// The usage tables as the old Python code and versions 1 and 2 of this program made them on SQLite (integer ids,
/// ISO-text timestamps), without rows.
public enum EarlierUsageSQL {
    public static let sqlite = """
        CREATE TABLE client_organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, \
        markup_rate REAL DEFAULT 1.3, is_active INTEGER DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE client_user_daily_usage (id INTEGER PRIMARY KEY AUTOINCREMENT, client_org_id TEXT NOT NULL, \
        user_id TEXT NOT NULL, usage_date DATE NOT NULL, openrouter_user_id TEXT, total_tokens INTEGER DEFAULT 0, \
        total_requests INTEGER DEFAULT 0, raw_cost REAL DEFAULT 0.0, markup_cost REAL DEFAULT 0.0, created_at TEXT NOT NULL, \
        updated_at TEXT, FOREIGN KEY (client_org_id) REFERENCES client_organizations(id));
        CREATE TABLE client_model_daily_usage (id INTEGER PRIMARY KEY AUTOINCREMENT, client_org_id TEXT NOT NULL, \
        model_name TEXT NOT NULL, provider TEXT NOT NULL, usage_date DATE NOT NULL, total_tokens INTEGER DEFAULT 0, \
        total_requests INTEGER DEFAULT 0, raw_cost REAL DEFAULT 0.0, markup_cost REAL DEFAULT 0.0, created_at TEXT NOT NULL, \
        updated_at TEXT, FOREIGN KEY (client_org_id) REFERENCES client_organizations(id));

        """
}
