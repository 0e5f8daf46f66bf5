-- Placement projectPerInstance: the project of an instance's own, recorded with its
-- service. A project a record names is never reused for another instance, and an
-- operator's kill takes the whole project.
ALTER TABLE instances ADD COLUMN project_id TEXT;
