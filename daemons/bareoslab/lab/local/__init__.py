"""The loopback lab: every daemon of a topology as a process on this machine."""
