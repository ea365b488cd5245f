"""A title, a list item and a caption sentence in every language of the voice table.

Written to use each language's own letters (accents, ligatures, combining marks, CJK
punctuation) so a missing glyph in the font chain shows. Used by tests/test_languages.py.
"""

from __future__ import annotations

SAMPLES: dict[str, tuple[str, str, str]] = {
    "en": (
        "Getting started with Python decorators",
        "Keep your code tidy and easy to test",
        "A decorator takes a function and returns a new one — that's it!",
    ),
    "es": (
        "Primeros pasos con los decoradores de Python",
        "Mantén tu código ordenado y fácil de probar",
        "Un decorador recibe una función y devuelve otra nueva. ¿Fácil? ¡Sí, señor!",
    ),
    "fr": (
        "Premiers pas avec les décorateurs Python",
        "Gardez un code clair et facile à tester",
        "Un décorateur reçoit une fonction et en renvoie une nouvelle : « simple » et efficace, où qu'on soit.",
    ),
    "de": (
        "Erste Schritte mit Python-Dekoratoren",
        "Halten Sie Ihren Code übersichtlich und leicht testbar",
        "Ein Dekorator nimmt eine Funktion und gibt eine neue zurück – größer, schöner, „einfacher“.",
    ),
    "it": (
        "Primi passi con i decoratori di Python",
        "Mantieni il codice ordinato e facile da testare",
        "Un decoratore riceve una funzione e ne restituisce una nuova: è più semplice così.",
    ),
    "pt": (
        "Primeiros passos com decoradores em Python",
        "Mantenha o código organizado e fácil de testar",
        "Um decorador recebe uma função e devolve uma nova — não é mágica, é programação.",
    ),
    "nl": (
        "Aan de slag met Python-decorators",
        "Houd je code overzichtelijk en makkelijk te testen",
        "Een decorator neemt een functie en geeft een nieuwe terug; dat is geïntegreerd in de taal.",
    ),
    "ru": (
        "Знакомство с декораторами в Python",
        "Держите код аккуратным и удобным для тестирования",
        "Декоратор принимает функцию и возвращает новую — это проще, чем кажется, ёж.",
    ),
    "ja": (
        "Pythonデコレーターの始め方",
        "コードを整理してテストしやすくする",
        "デコレーターは関数を受け取り、新しい関数を返します。「簡単」ですね！",
    ),
    "zh": (
        "Python 装饰器入门",
        "让代码保持整洁、易于测试",
        "装饰器接收一个函数，并返回一个新的函数。这就是“包装”的意思！",
    ),
    "ko": (
        "파이썬 데코레이터 시작하기",
        "코드를 깔끔하고 테스트하기 쉽게 유지하세요",
        "데코레이터는 함수를 받아 새로운 함수를 돌려줍니다. 정말 쉽죠?",
    ),
    "ar": (
        "البدء مع المزخرفات في بايثون",
        "حافظ على شيفرتك مرتبة وسهلة الاختبار",
        "تأخذ المزخرفة دالة وتعيد دالة جديدة، أليس ذلك بسيطاً؟",
    ),
    "hi": (
        "पाइथन डेकोरेटर्स के साथ शुरुआत",
        "अपने कोड को साफ़ और परखने में आसान रखें",
        "डेकोरेटर एक फ़ंक्शन लेता है और एक नया फ़ंक्शन लौटाता है।",
    ),
    "pl": (
        "Pierwsze kroki z dekoratorami w Pythonie",
        "Utrzymuj kod w porządku i łatwy do testowania",
        "Dekorator przyjmuje funkcję i zwraca nową — to łatwiejsze, niż się wydaje, źdźbło.",
    ),
    "tr": (
        "Python dekoratörlerine giriş",
        "Kodunuzu düzenli ve kolay test edilebilir tutun",
        "Bir dekoratör bir işlevi alır ve yeni bir işlev döndürür; çok şık, değil mi? İşte böyle.",
    ),
    "sv": (
        "Kom igång med dekoratorer i Python",
        "Håll koden prydlig och lätt att testa",
        "En dekorator tar en funktion och returnerar en ny – så enkelt är det, för övrigt.",
    ),
    "da": (
        "Kom godt i gang med Python-dekoratorer",
        "Hold din kode overskuelig og nem at teste",
        "En dekoratør tager en funktion og returnerer en ny – det er nemmere, end man tror, især på én gang.",
    ),
    "nb": (
        "Kom i gang med dekoratorer i Python",
        "Hold koden ryddig og lett å teste",
        "En dekoratør tar en funksjon og returnerer en ny – det er særlig enkelt.",
    ),
    "fi": (
        "Pythonin dekoraattorien perusteet",
        "Pidä koodi siistinä ja helposti testattavana",
        "Dekoraattori ottaa funktion ja palauttaa uuden – se on helpompaa kuin luulet.",
    ),
    "el": (
        "Ξεκινώντας με τους διακοσμητές της Python",
        "Κρατήστε τον κώδικα τακτοποιημένο και εύκολο στον έλεγχο",
        "Ένας διακοσμητής δέχεται μια συνάρτηση και επιστρέφει μια νέα· απλό, σωστά;",
    ),
    "he": (
        "מתחילים עם דקורטורים בפייתון",
        "שמרו על קוד מסודר וקל לבדיקה",
        "דקורטור מקבל פונקציה ומחזיר פונקציה חדשה (פשוט, נכון?)",
    ),
    "cs": (
        "Začínáme s dekorátory v Pythonu",
        "Udržujte kód přehledný a snadno testovatelný",
        "Dekorátor přijme funkci a vrátí novou – je to jednodušší, než se zdá, říká Jiří.",
    ),
    "hu": (
        "Első lépések a Python dekorátoraival",
        "Tartsa a kódot rendezetten és könnyen tesztelhetően",
        "A dekorátor egy függvényt kap, és egy újat ad vissza – ez egyszerűbb, mint gondolnád.",
    ),
    "ro": (
        "Primii pași cu decoratorii din Python",
        "Păstrați codul ordonat și ușor de testat",
        "Un decorator primește o funcție și întoarce una nouă – e mai simplu decât pare, în țară.",
    ),
    "th": (
        "เริ่มต้นใช้งานเดคอเรเตอร์ใน Python",
        "จัดระเบียบโค้ดให้ทดสอบได้ง่าย",
        "เดคอเรเตอร์รับฟังก์ชันและคืนฟังก์ชันใหม่ที่ห่อหุ้มไว้ ง่ายมากใช่ไหม",
    ),
    "vi": (
        "Làm quen với decorator trong Python",
        "Giữ mã nguồn gọn gàng và dễ kiểm thử",
        "Một decorator nhận một hàm và trả về một hàm mới, thật đơn giản phải không?",
    ),
    "id": (
        "Memulai dengan dekorator Python",
        "Jaga kode tetap rapi dan mudah diuji",
        "Dekorator menerima sebuah fungsi dan mengembalikan fungsi yang baru.",
    ),
    "uk": (
        "Знайомство з декораторами в Python",
        "Тримайте код охайним і зручним для тестування",
        "Декоратор приймає функцію й повертає нову — це простіше, ніж здається, ґудзику, їжаче, є?",
    ),
    "bn": (
        "পাইথন ডেকোরেটর দিয়ে শুরু",
        "আপনার কোড পরিচ্ছন্ন ও সহজে পরীক্ষাযোগ্য রাখুন",
        "ডেকোরেটর একটি ফাংশন নেয় এবং একটি নতুন ফাংশন ফেরত দেয়।",
    ),
}
"""Language code → (title, list item, caption sentence)."""
