-- Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d).
-- One database per process that owns data; each service's DATABASE_URL names its own.
-- The owner is POSTGRES_USER (teacherpool), which the entrypoint has already created.
CREATE DATABASE staffing;
CREATE DATABASE sharing;
CREATE DATABASE talent;
CREATE DATABASE gateway;
