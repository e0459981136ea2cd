"""Official documents as PDF (GB/T 9704 layout, ReportLab): fonts, rendering, numbering, seals, verification."""
