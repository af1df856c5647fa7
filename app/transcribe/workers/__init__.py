"""Transcription workers: the process that runs `pipeline.run` for the web app, the
protocol between them, and the launchers that start workers.

The web app never loads a model. Its queue (`jobs/queue.py`) keeps the jobs' states and,
while jobs are queued, launches workers: a child process on this machine (`process`) or a
Kubernetes Job on a GPU node (`kubernetes`). A worker claims jobs over HTTP from the web
app's worker listener (`api.py`, its own port, never the user's), with a token made for
its launch (`launches.py`), fetches the audio, posts progress (the answer says when to
cancel), then the transcript or the failure, and exits once nothing is left to claim.

| module | what it does |
|---|---|
| `config.py` | the settings from the environment (launcher, port, parallel workers, idle grace) |
| `launches.py` | the launch ledger (data folder): each worker started, its hashed token, |
|   | state, jobs, GPU-seconds held |
| `launcher.py` | what every launcher does (launch, poll, stop, recover) and the states it reports |
| `process.py` | the `process` launcher: a child process on this machine |
| `kubernetes.py` | the `kubernetes` launcher: a Job from the chart's template (official client) |
| `api.py` | the worker listener: claim, media, progress, result, failure, behind the token |
| `worker.py` | `transcribe-worker`: claims, transcribes, reports, exits when idle |
"""
