"""The schedule: the daemon that runs the jobs on time.

``daemon`` owns the runtime (config, clients, matcher, digest locks), the APScheduler jobs
(poll tick, digest slots, delivery retries, housekeeping), signals and reloads; ``slots`` is the
digest trigger; ``health`` serves ``/healthz`` and ``/metrics``. It may import the jobs and
every stage below them; only the front ends (``cli``, ``web``) import it.
"""
