"""Every picture: layer styles, the CJK font, static maps, charts, the siting and greening maps, the web map.

Nothing here computes an analysis: functions take frames and results and draw them.
"""
