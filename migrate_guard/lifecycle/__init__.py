"""The migration lifecycle (`create`, `run`, `rollback`, `status`): the project's native tool behind safety gates.

tools.py (native commands as data, finding the tool), project.py (which project, the commands' values),
native.py (running the tool, reading its status), review.py (linting chosen migrations), describe.py (operations
as text, the safety check), environment.py (production, backups, passwords), flows.py (the commands themselves).
"""
