// Loading the environment: .env files, Docker secrets and masking (issue 3).
