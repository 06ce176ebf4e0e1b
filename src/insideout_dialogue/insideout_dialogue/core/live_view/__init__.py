"""The live view: one web page showing, as it happens, what the robot perceives and why it
answers as it does (the paper's demo screen). No ROS here: web_view_node feeds `page_events`
into a `LiveViewServer` and carries its `PageCommand`s to ROS."""
