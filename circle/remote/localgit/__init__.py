"""The local SCM: bare git repositories in a directory of the server, with a post-receive hook."""
