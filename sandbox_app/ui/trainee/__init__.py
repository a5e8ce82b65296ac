"""The trainee workspace: start screen, exercise page, share builder, live meter, score report, attack replay."""
