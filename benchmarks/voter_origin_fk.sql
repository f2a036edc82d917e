\timing on
create table t (id bigserial primary key, origin bigint references t(id), pad text);
insert into t (pad) select repeat('x', 100) from generate_series(1, 20000);
analyze t;
-- without an index on origin: each deleted row's FK check scans the table
delete from t;
insert into t (pad) select repeat('x', 100) from generate_series(1, 20000);
create index on t (origin) where origin is not null;
analyze t;
delete from t;
