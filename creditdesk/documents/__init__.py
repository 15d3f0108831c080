"""Documents rendered as PDF bytes (statements, letters) with fpdf2 and the embedded fonts:
no file written, no workbook library imported, so the Lambda imports it too."""
