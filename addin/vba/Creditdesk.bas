Attribute VB_Name = "Creditdesk"
' Creditdesk buttons for desktop Excel (classic xlwings). Import this module into your
' workbook (Alt+F11 > File > Import File...), set a reference to xlwings (Tools >
' References > xlwings), and assign each macro to a button (Developer > Insert > Button).
' Each macro runs one script of addin/creditdesk_addin/scripts.py on this workbook; see docs/addin.md.
Option Explicit

Sub CD_Refresh()
    RunPython "import creditdesk_addin.desktop as cd; cd.refresh()"
End Sub

Sub CD_PreviewReminders()
    RunPython "import creditdesk_addin.desktop as cd; cd.preview_reminders()"
End Sub

Sub CD_SendReminders()
    RunPython "import creditdesk_addin.desktop as cd; cd.send_reminders()"
End Sub

Sub CD_Sync()
    RunPython "import creditdesk_addin.desktop as cd; cd.sync()"
End Sub

Sub CD_Score()
    RunPython "import creditdesk_addin.desktop as cd; cd.score()"
End Sub
