"""An example council intranet that installs safety_workflow the way a council would."""
