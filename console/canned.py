"""Canned replies operators insert with one tap, in both languages, side by side."""

from __future__ import annotations

#: (key, Arabic, English). Written to be kind, short (under two SMS segments) and to promise nothing.
CANNED: tuple[tuple[str, str, str], ...] = (
    (
        "greeting",
        "مرحباً، أنا متطوع من فريق شمل. أنا هنا لمساعدتك. كيف أستطيع المساعدة؟",
        "Hello, I am a volunteer with the Shaml team. I am here to help. How can I help you?",
    ),
    (
        "checking",
        "شكراً لصبرك. أنا أراجع المعلومات الآن وسأرد عليك قريباً.",
        "Thank you for your patience. I am checking the information now and will reply soon.",
    ),
    (
        "more_details",
        "حتى نبحث بدقة، هل تعرف اسم الأم وسنة الميلاد؟",
        "To search accurately, do you know the mother's name and the year of birth?",
    ),
    (
        "no_news_yet",
        "لا توجد معلومات جديدة بعد. طلبك ما زال مفتوحاً وسنخبرك فور وصول أي خبر.",
        "There is no new information yet. Your request stays open and we will tell you as soon as we hear anything.",
    ),
    (
        "support",
        "نحن معك. إذا احتجت دعماً نفسياً يمكننا أن نعطيك رقم جهة موثوقة قريبة منك.",
        "We are with you. If you need emotional support we can give you the number of a trusted service near you.",
    ),
    (
        "handing_back",
        "سأعيدك الآن إلى المساعد الآلي. اكتب «موظف» في أي وقت لتتحدث مع شخص.",
        "I will hand you back to the automated assistant now. Write \"agent\" at any time to talk to a person.",
    ),
)
