"""Progress: the picture of how the knee and the programme are going.

``bot.progress.chart`` draws the progress chart (it imports matplotlib, so it is not imported
here).
"""
